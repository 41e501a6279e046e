// Lifecycle buttons of one agent: pause, resume, recover, terminate (after a confirmation).
// Moves carry the revision on screen, so acting on a stale view is a CONFLICT, not a surprise.

import { h, uniqueId } from "../dom.js";
import { describe } from "../errors.js";
import { label } from "../format.js";
import { MOVES } from "../queries.js";

const BUTTONS = [
  ["pause", "Pause", ""],
  ["resume", "Resume", ""],
  ["recover", "Recover", ""],
  ["terminate", "Terminate…", "danger"],
];

export function lifecycleControls(store, api, agentId) {
  const status = h("p", { class: "move-status", role: "status" });
  const error = h("p", { class: "form-error move-error", role: "alert" });
  const buttons = Object.fromEntries(BUTTONS.map(([verb, text, style]) =>
    [verb, h("button", { type: "button", class: style, dataset: { move: verb } }, text)]));
  const dialog = terminateDialog();
  let busy = false;

  const agent = () => store.agents.get(agentId);
  const update = () => {
    const final = agent()?.status === "TERMINATED";
    for (const button of Object.values(buttons)) button.disabled = busy || final;
  };

  const move = async (verb, reason = null) => {
    const current = agent();
    if (!current) return;
    status.textContent = "";
    error.textContent = "";
    busy = true;
    update();
    const { field, document } = MOVES[verb];
    try {
      const data = await api.request(document, {
        input: { id: agentId, reason, expectedRevision: current.revision },
      });
      store.upsertAgent(data[field].agent);
      status.textContent = `${current.name} is now ${label(data[field].agent.status)}.`;
    } catch (failure) {
      error.textContent = describe(failure, { action: verb, subject: current.name });
    } finally {
      busy = false;
      update();
    }
  };

  for (const verb of ["pause", "resume", "recover"]) buttons[verb].addEventListener("click", () => move(verb));
  buttons.terminate.addEventListener("click", async () => {
    const reason = await dialog.confirm(agent()?.name ?? "this agent");
    if (reason !== null) await move("terminate", reason || null);
    buttons.terminate.focus();
  });

  store.addEventListener("agents", update);
  update();
  const element = h("div", { class: "lifecycle" },
    h("div", { class: "buttons", role: "group", "aria-label": "Lifecycle" }, Object.values(buttons)),
    status, error, dialog.element);
  return { element, dispose: () => store.removeEventListener("agents", update) };
}

// A modal <dialog>: Cancel has the focus first, Escape cancels.
function terminateDialog() {
  const titleId = uniqueId("terminate-title");
  const reasonId = uniqueId("terminate-reason");
  const name = h("span");
  const reason = h("input", { id: reasonId, type: "text", autocomplete: "off" });
  const cancel = h("button", { type: "button", value: "cancel" }, "Cancel");
  const confirm = h("button", { type: "button", class: "danger", value: "terminate" }, "Terminate");
  const element = h("dialog", { class: "confirm", "aria-labelledby": titleId },
    h("h2", { id: titleId }, "Terminate ", name, "?"),
    h("p", {}, "This cannot be undone: the agent stops for good and its open executions are cancelled."),
    h("label", { for: reasonId }, "Reason (optional)"), reason,
    h("div", { class: "buttons" }, cancel, confirm));
  cancel.addEventListener("click", () => element.close("cancel"));
  confirm.addEventListener("click", () => element.close("terminate"));
  return {
    element,
    /** Resolves to the reason ("" if none) when confirmed, null when cancelled. */
    confirm(agentName) {
      name.textContent = agentName;
      reason.value = "";
      element.returnValue = "cancel";
      element.showModal();
      cancel.focus();
      return new Promise((resolve) => {
        element.addEventListener("close", () => resolve(element.returnValue === "terminate" ? reason.value.trim() : null), { once: true });
      });
    },
  };
}
