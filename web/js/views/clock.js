// One ticking clock for the whole page: "12 s ago" and "in 23 h" stay true without re-rendering.

import { setText } from "../dom.js";
import { ago, until } from "../format.js";

export function startClock(root) {
  const tick = () => {
    const now = Date.now();
    for (const element of root.querySelectorAll("[data-ago]")) {
      if (element.dataset.ago) setText(element, ago(element.dataset.ago, now));
    }
    for (const element of root.querySelectorAll("[data-until]")) setText(element, until(element.dataset.until, now));
  };
  return setInterval(tick, 1000);
}
