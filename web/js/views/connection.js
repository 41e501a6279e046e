// The connection indicator in the header: live, connecting, or reconnecting (with a countdown
// and a "Retry now" button).

import { h, setText } from "../dom.js";

const TEXT = { live: "Live", connecting: "Connecting…", reconnecting: "Reconnecting…", closed: "Offline" };

export function connectionIndicator(element) {
  const text = h("span", { class: "connection-text" });
  const retry = h("button", { type: "button", class: "link", hidden: true }, "Retry now");
  element.replaceChildren(h("span", { class: "dot", "aria-hidden": "true" }), text, retry);
  let client = null;
  let retryAt = null;
  let ticker = null;

  const show = ({ state, retryAt: at }) => {
    element.dataset.state = state;
    retryAt = at ?? null;
    retry.hidden = state !== "reconnecting";
    clearInterval(ticker);
    const paint = () => {
      const seconds = retryAt ? Math.max(0, Math.ceil((retryAt - Date.now()) / 1000)) : 0;
      setText(text, state === "reconnecting" && seconds > 0 ? `Reconnecting in ${seconds} s…` : TEXT[state]);
    };
    paint();
    if (retryAt) ticker = setInterval(paint, 250);
  };
  const onStatus = (event) => show(event.detail);
  retry.addEventListener("click", () => client?.retryNow());

  return {
    /** Follows a SubscriptionClient (or nothing, when signed out). */
    follow(next) {
      client?.removeEventListener("status", onStatus);
      client = next;
      element.hidden = !client;
      if (client) {
        client.addEventListener("status", onStatus);
        show({ state: client.state });
      } else {
        clearInterval(ticker);
      }
    },
  };
}
