// Runs the inline scripts of a served Coworld page under Node with a minimal DOM and a stand-in WebSocket.
// Usage: node page_harness.js PAGE.html PAGE_URL MESSAGES.json
// Prints JSON: the URL the page opened its websocket to, and how many drawing operations it made on #view
// (canvas drawing calls or HTML written into it) after the messages were delivered. Opens no connection.
const fs = require("fs");
const vm = require("vm");

const [htmlPath, pageUrl, messagesPath] = process.argv.slice(2);
const html = fs.readFileSync(htmlPath, "utf8");
const messages = JSON.parse(fs.readFileSync(messagesPath, "utf8"));
const scripts = [...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((match) => match[1]);

let drawing = 0;
const canvasDrawing = new Set(["fillRect", "strokeRect", "fillText", "strokeText", "fill", "stroke", "drawImage"]);

class Element {
  constructor(name) {
    this.name = name;
    this.children = [];
    this.dataset = {};
    this.style = {};
    this.value = "0";
    this.textContent = "";
    this._html = "";
  }
  set innerHTML(markup) {
    this._html = markup;
    if (this.name === "view" && markup) {
      drawing += 1;
    }
  }
  get innerHTML() {
    return this._html;
  }
  appendChild(child) {
    this.children.push(child);
    return child;
  }
  addEventListener() {}
  querySelector() {
    return null;
  }
  getContext() {
    return new Proxy(
      {},
      {
        get: (_target, property) => () => {
          if (canvasDrawing.has(property)) {
            drawing += 1;
          }
        },
        set: () => true,
      },
    );
  }
}

const elements = new Map();
const document = {
  getElementById: (id) => elements.get(id) ?? elements.set(id, new Element(id)).get(id),
  createElement: (tag) => new Element(tag),
  addEventListener() {},
};

const sockets = [];
class FakeWebSocket {
  static OPEN = 1;
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.listeners = {};
    sockets.push(this);
  }
  addEventListener(type, listener) {
    (this.listeners[type] ||= []).push(listener);
  }
  send() {}
  emit(type, event) {
    (this.listeners[type] || []).forEach((listener) => listener(event));
  }
}

const context = vm.createContext({ window: { location: { href: pageUrl } }, document, WebSocket: FakeWebSocket, URL });
scripts.forEach((script) => vm.runInContext(script, context));
const socket = sockets[0];
socket.readyState = FakeWebSocket.OPEN;
socket.emit("open", {});
messages.forEach((message) => socket.emit("message", { data: JSON.stringify(message) }));
process.stdout.write(JSON.stringify({ url: socket.url, sockets: sockets.length, drawing }));
