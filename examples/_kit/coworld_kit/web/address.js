// The address rule of RUNTIME.md. With `address` in the page's query, that value is the complete websocket
// URL (http -> ws, https -> wss) and nothing else is merged into it. Otherwise the page's own URL is used with
// <prefix>/<kind> replaced by /<kind> (the prefix of the game's generation: /clients classic, /client current),
// every page parameter kept and http(s) switched to ws(s).
const COWORLD_PAGE_PATH = new RegExp("@@PAGE_PREFIX@@/(player|global|replay)/?$");
const COWORLD_HONOURS_ADDRESS = @@HONOURS_ADDRESS@@;
const COWORLD_KEEPS_PARAMS = @@KEEPS_PARAMS@@;
const COWORLD_OWN_PARAMS = ["slot", "token", "uri"];

function coworldSocketUrl(pageUrl) {
  const url = new URL(pageUrl);
  const address = url.searchParams.get("address");
  if (address && COWORLD_HONOURS_ADDRESS) {
    return address.replace(/^http(s?):\/\//, "ws$1://");
  }
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.pathname = url.pathname.replace(COWORLD_PAGE_PATH, "/$1");
  url.hash = "";
  if (!COWORLD_KEEPS_PARAMS) {
    for (const name of [...url.searchParams.keys()]) {
      if (!COWORLD_OWN_PARAMS.includes(name)) {
        url.searchParams.delete(name);
      }
    }
  }
  return url.toString();
}
