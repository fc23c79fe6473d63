// The live viewer: a snapshot first, then updates applied to it; every message redraws the state.
(() => {
  const status = document.getElementById("status");
  const view = document.getElementById("view");
  let state = null;
  const socket = new WebSocket(coworldSocketUrl(window.location.href));
  socket.addEventListener("open", () => {
    status.textContent = "watching";
  });
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "snapshot") {
      state = message.state;
    } else if (message.type === "update" && state !== null) {
      state = GameView.applyUpdate(state, message.delta);
    }
    if (state !== null) {
      GameView.drawState(view, state);
    }
  });
  socket.addEventListener("close", (event) => {
    status.textContent = `stream closed (${event.code}${event.reason ? ": " + event.reason : ""})`;
  });
})();
