// The replay viewer: play, pause, a seek slider and a speed choice; the server streams the frames.
(() => {
  const status = document.getElementById("status");
  const view = document.getElementById("view");
  const controls = document.getElementById("controls");
  controls.innerHTML = `
    <button id="play">play</button>
    <button id="pause">pause</button>
    <input id="seek" type="range" min="0" max="0" value="0">
    <span id="position"></span>
    <select id="speed">
      <option value="0.5">0.5×</option><option value="1" selected>1×</option>
      <option value="2">2×</option><option value="4">4×</option>
    </select>`;
  const seek = document.getElementById("seek");
  const position = document.getElementById("position");
  const speed = document.getElementById("speed");
  let frameCount = 0;
  const socket = new WebSocket(coworldSocketUrl(window.location.href));
  const send = (message) => {
    if (socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
    }
  };
  document.getElementById("play").addEventListener("click", () => send({ type: "play" }));
  document.getElementById("pause").addEventListener("click", () => send({ type: "pause" }));
  seek.addEventListener("input", () => send({ type: "seek", index: Number(seek.value) }));
  speed.addEventListener("change", () => send({ type: "speed", value: Number(speed.value) }));
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "replay_info") {
      frameCount = message.frame_count;
      seek.max = String(frameCount - 1);
      status.textContent = `replay of ${message.game}: ${frameCount} frames`;
    } else if (message.type === "frame") {
      seek.value = String(message.index);
      position.textContent = `${message.index + 1} / ${frameCount}`;
      GameView.drawState(view, message.state);
    } else if (message.type === "error") {
      status.textContent = `replay error: ${message.message}`;
    }
  });
  socket.addEventListener("close", () => {
    status.textContent += " (connection closed)";
  });
})();
