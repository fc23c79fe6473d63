// Paint's browser view: a canvas grid for viewers and replays; arrow buttons and arrow keys for a player.
const PAINT_CELL = 32;
const PAINT_FLOOR = "#e9e9e4";
const PAINT_COLOURS = ["#f2a488", "#8fd9d7"];
const PAINT_PAINTERS = ["#c8431c", "#138c8a"];

const GameView = {
  drawState(root, state) {
    root.textContent = "";
    const info = document.createElement("p");
    info.textContent = `tick ${state.tick} / ${state.ticks}   score ${state.scores.join(" : ")}`;
    const canvas = document.createElement("canvas");
    canvas.width = state.width * PAINT_CELL;
    canvas.height = state.height * PAINT_CELL;
    const context = canvas.getContext("2d");
    state.grid.forEach((row, y) => {
      row.forEach((owner, x) => {
        context.fillStyle = owner < 0 ? PAINT_FLOOR : PAINT_COLOURS[owner];
        context.fillRect(x * PAINT_CELL + 1, y * PAINT_CELL + 1, PAINT_CELL - 2, PAINT_CELL - 2);
      });
    });
    state.positions.forEach(([x, y], slot) => {
      context.fillStyle = PAINT_PAINTERS[slot];
      context.beginPath();
      context.arc((x + 0.5) * PAINT_CELL, (y + 0.5) * PAINT_CELL, PAINT_CELL / 3, 0, 2 * Math.PI);
      context.fill();
    });
    root.appendChild(info);
    root.appendChild(canvas);
  },

  applyUpdate(state, delta) {
    delta.painted.forEach(([x, y, slot]) => {
      state.grid[y][x] = slot;
    });
    state.tick = delta.tick;
    state.positions = delta.positions;
    state.scores = delta.scores;
    return state;
  },

  renderPlayer(view, controls, observation, send) {
    GameView.drawState(view, observation);
    if (controls.dataset.ready) {
      return;
    }
    controls.dataset.ready = "yes";
    const move = (direction) => send({ type: "move", direction });
    ["up", "left", "stay", "right", "down"].forEach((direction) => {
      const button = document.createElement("button");
      button.textContent = direction;
      button.addEventListener("click", () => move(direction));
      controls.appendChild(button);
    });
    const keys = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right", " ": "stay" };
    document.addEventListener("keydown", (event) => {
      if (keys[event.key]) {
        event.preventDefault();
        move(keys[event.key]);
      }
    });
  },
};
