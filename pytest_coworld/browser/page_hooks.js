// Injected before any page script: records every WebSocket the page opens and, while `hold` is on, keeps
// incoming messages from the page's own handlers, so a probe can see the page before any data arrived.
// `window.__coworld.release()` delivers the held messages in order and lets later ones through. With `hold`,
// the page never sees its sockets close: what it draws is its data, not its reaction to a closed stream.
(() => {
  const NativeWebSocket = window.WebSocket;
  const state = { sockets: [], hold: __HOLD__, held: [] };
  state.release = () => {
    state.hold = false;
    for (const [socket, event] of state.held.splice(0)) {
      socket.dispatchEvent(event);
    }
  };
  window.__coworld = state;
  window.WebSocket = new Proxy(NativeWebSocket, {
    construct(target, args) {
      const socket = new target(...args);
      const entry = { url: socket.url, opened: false, messages: 0, closeCode: null, errored: false };
      state.sockets.push(entry);
      socket.addEventListener("open", () => {
        entry.opened = true;
      });
      socket.addEventListener("error", () => {
        entry.errored = true;
      });
      socket.addEventListener("close", (event) => {
        entry.closeCode = event.code;
        if (__HOLD__) {
          event.stopImmediatePropagation();
        }
      });
      socket.addEventListener("message", (event) => {
        if (event.coworldReplayed) {
          return;
        }
        entry.messages += 1;
        if (state.hold) {
          event.stopImmediatePropagation();
          const copy = new MessageEvent("message", {
            data: event.data,
            origin: event.origin,
            lastEventId: event.lastEventId,
          });
          copy.coworldReplayed = true;
          state.held.push([socket, copy]);
        }
      });
      return socket;
    },
  });
})();
