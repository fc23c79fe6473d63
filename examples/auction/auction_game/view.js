// The auction's browser view: a table of bidders and past rounds; a bid box on the player page.
const auctionEscape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

const auctionTable = (state) => {
  const rows = state.players
    .map(
      (p, slot) =>
        `<tr><td>${slot}</td><td>${auctionEscape(p.name)} (${p.role})</td><td>${p.budget}</td>` +
        `<td>${p.items}</td><td><b>${p.score}</b></td><td>${p.bid_in ? "sealed bid in" : ""}</td></tr>`,
    )
    .join("");
  const item = state.item === null ? "waiting for players" : `item worth ${state.item}`;
  const phase = state.open ? "bidding open" : "bidding closed";
  return (
    `<p>round ${state.round} / ${state.rounds}: ${item}, ${phase}</p>` +
    `<table><tr><th>slot</th><th>bidder</th><th>budget</th><th>items</th><th>score</th><th></th></tr>${rows}</table>`
  );
};

const auctionHistory = (history) =>
  history
    .slice(-5)
    .reverse()
    .map((h) => {
      const outcome = h.winner === null ? "tie, not sold" : `won by slot ${h.winner} for ${h.bids[h.winner]}`;
      return `<li>round ${h.round}: item ${h.item}, bids ${h.bids.join(", ")}: ${outcome}</li>`;
    })
    .join("");

const GameView = {
  round: 0,

  drawState(root, state) {
    root.innerHTML = auctionTable(state) + `<ul>${auctionHistory(state.history)}</ul>`;
  },

  applyUpdate(state, delta) {
    Object.assign(state, { round: delta.round, rounds: delta.rounds, item: delta.item, open: delta.open });
    state.players = delta.players;
    if (delta.resolved) {
      state.history.push(delta.resolved);
    }
    return state;
  },

  renderPlayer(view, controls, turn, send) {
    GameView.round = turn.round;
    const history = turn.last ? [turn.last] : [];
    const yours = turn.your_bid === null ? "no bid yet" : `your bid: ${turn.your_bid}`;
    view.innerHTML =
      auctionTable(turn) +
      `<p>you are slot ${turn.you}, budget ${turn.budget}, ${yours}; turn time ${turn.deadline_ms / 1000} s</p>` +
      `<ul>${auctionHistory(history)}</ul>`;
    if (controls.dataset.ready) {
      return;
    }
    controls.dataset.ready = "yes";
    controls.innerHTML = '<input id="amount" type="number" min="0" value="0"> <button id="bid">bid</button>';
    const amount = document.getElementById("amount");
    document.getElementById("bid").addEventListener("click", () => {
      send({ type: "bid", round: GameView.round, amount: Math.max(0, Math.floor(Number(amount.value) || 0)) });
    });
  },
};
