"""A drawing pad for one digit: mouse, pen or finger, Undo, Redo and Clear, its strokes sent
to the server the moment the pen lifts.

A small Streamlit component of our own (st.components.v2), not a general canvas: it sends the
strokes' points (a few hundred numbers) rather than a picture, at once rather than after a
pause, so the model's views of a drawing follow the pen (bench/bench_digit.py). The server
draws the strokes itself (core.data.strokes), checking them first: a browser can send anything.
"""

from __future__ import annotations

import streamlit as st

from core.data.strokes import checked_strokes, strokes_image

# The pad keeps its strokes on its element, so a rerun redraws nothing; a pad mounted afresh
# (the page left and opened again) starts from the strokes the server last had. A stroke
# follows one pointer (a second finger meanwhile is ignored), also off the pad while the pen
# is held, and is sent when that pointer lifts or the browser takes it away; Undo, Redo and
# Clear send at once. Points are in pad pixels, one decimal, whatever the pad's size on the
# screen (it shrinks to its column on a phone).
JS = """
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let pad = parentElement.__drawingPad;
  if (!pad) {
    const root = document.createElement("div");
    root.className = "drawing-pad";
    root.innerHTML =
      '<canvas class="pad-canvas" role="img"></canvas>' +
      '<div class="pad-tools">' +
      '<button type="button" data-act="undo">↶ Undo</button>' +
      '<button type="button" data-act="redo">↷ Redo</button>' +
      '<button type="button" data-act="clear">✕ Clear</button></div>';
    parentElement.appendChild(root);
    const canvas = root.querySelector("canvas");
    pad = parentElement.__drawingPad = {
      canvas, strokes: (data.strokes || []).map((s) => s.slice()), undone: [], current: null,
    };
    const toPad = (event) => {  // inside the border: the drawing area itself
      const box = canvas.getBoundingClientRect();
      const x = ((event.clientX - box.left - canvas.clientLeft) * pad.side) / canvas.clientWidth;
      const y = ((event.clientY - box.top - canvas.clientTop) * pad.side) / canvas.clientHeight;
      return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
    };
    const send = () => setStateValue("strokes", pad.strokes);
    canvas.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 || pad.current) return;  // one stroke at a time
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      pad.pointer = event.pointerId;
      pad.current = [toPad(event)];
      pad.strokes.push(pad.current);
      pad.undone = [];
      draw(pad);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!pad.current || event.pointerId !== pad.pointer) return;
      const [x, y] = toPad(event);
      const [px, py] = pad.current[pad.current.length - 1];
      if (Math.hypot(x - px, y - py) < 1) return;
      pad.current.push([x, y]);
      draw(pad);
    });
    const lift = (event) => {
      if (!pad.current || event.pointerId !== pad.pointer) return;
      pad.current = null;
      send();
    };
    for (const name of ["pointerup", "pointercancel", "lostpointercapture"]) {
      canvas.addEventListener(name, lift);
    }
    root.querySelector(".pad-tools").addEventListener("click", (event) => {
      const act = event.target.closest("button")?.dataset.act;
      if (act === "undo" && pad.strokes.length) pad.undone.push(pad.strokes.pop());
      else if (act === "redo" && pad.undone.length) pad.strokes.push(pad.undone.pop());
      else if (act === "clear" && pad.strokes.length) {
        pad.undone = [];
        pad.strokes = [];
      } else return;
      draw(pad);
      send();
    });
    new ResizeObserver(() => draw(pad)).observe(canvas);
    const sharpOn = () => {  // moved to a screen of another pixel ratio: redraw it sharp there
      matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`).addEventListener(
        "change", () => { draw(pad); sharpOn(); }, { once: true });
    };
    sharpOn();
  }
  pad.side = data.side;
  pad.pen = data.pen;
  pad.canvas.setAttribute("aria-label", data.label);
  pad.canvas.style.maxWidth = data.side + "px";
  draw(pad);
}

function draw(pad) {
  const { canvas } = pad;
  const pixels = Math.round(canvas.clientWidth * (window.devicePixelRatio || 1)) || pad.side;
  if (canvas.width !== pixels) canvas.width = canvas.height = pixels;
  const context = canvas.getContext("2d");
  context.setTransform(pixels / pad.side, 0, 0, pixels / pad.side, 0, 0);
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, pad.side, pad.side);
  context.strokeStyle = context.fillStyle = "#000000";
  context.lineWidth = pad.pen;
  context.lineCap = context.lineJoin = "round";
  for (const stroke of pad.strokes) {
    context.beginPath();
    context.moveTo(stroke[0][0], stroke[0][1]);
    for (const [x, y] of stroke) context.lineTo(x, y);
    if (stroke.length === 1) context.lineTo(stroke[0][0] + 0.01, stroke[0][1]);
    context.stroke();
  }
}
"""

CSS = """
.drawing-pad .pad-canvas {
  display: block; width: 100%; aspect-ratio: 1; touch-action: none; cursor: crosshair;
  border: 1px solid rgba(128, 128, 128, 0.5); border-radius: 0.5rem; background: #ffffff;
}
.drawing-pad .pad-tools { display: flex; gap: 0.5rem; margin-top: 0.5rem; flex-wrap: wrap; }
.drawing-pad .pad-tools button {
  font: inherit; font-size: 0.9em; color: inherit; background: transparent; cursor: pointer;
  border: 1px solid rgba(128, 128, 128, 0.5); border-radius: 0.5rem; padding: 0.25rem 0.75rem;
}
.drawing-pad .pad-tools button:hover { border-color: currentColor; }
"""

_component = st.components.v2.component("drawing_pad", js=JS, css=CSS, isolate_styles=False)


def drawing_pad(key: str, side: int, pen: float, label: str):
    """Mount the pad; the strokes drawn so far, drawn as a (side, side) uint8 image, ink 255
    on 0, or None when there are none. ValueError with a sentence for strokes that do not
    check (core.data.strokes)."""
    kept = st.session_state.get(f"{key}_strokes") or []  # the last strokes that checked
    result = _component(
        key=key,
        data={"side": side, "pen": pen, "label": label, "strokes": kept},
        default={"strokes": None},  # None: nothing drawn on this pad since it was mounted
        on_strokes_change=lambda: None,  # a new stroke reruns the fragment that mounted it
    )
    strokes = kept if result.strokes is None else result.strokes
    checked_strokes(strokes, side)  # refused strokes are never kept
    st.session_state[f"{key}_strokes"] = strokes
    return strokes_image(strokes, side, pen) if strokes else None
