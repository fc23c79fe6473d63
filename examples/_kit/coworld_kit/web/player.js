// The player page: shows this slot's observations and lets a person send moves (the game's view draws both).
(() => {
  const status = document.getElementById("status");
  const view = document.getElementById("view");
  const controls = document.getElementById("controls");
  const socket = new WebSocket(coworldSocketUrl(window.location.href));
  const send = (message) => {
    if (socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
    }
  };
  socket.addEventListener("open", () => {
    status.textContent = "connected";
  });
  socket.addEventListener("message", (event) => {
    GameView.renderPlayer(view, controls, JSON.parse(event.data), send);
  });
  socket.addEventListener("close", (event) => {
    status.textContent = `disconnected (${event.code}${event.reason ? ": " + event.reason : ""})`;
  });
})();
