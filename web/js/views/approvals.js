// Pending approvals: each risky step with its risks and mitigations, decided here with a
// reason. Decisions made anywhere remove the item at once; losing a race says who won.

import { h, replace, uniqueId } from "../dom.js";
import { describe } from "../errors.js";
import { clock, label, person, until } from "../format.js";
import { APPROVAL_BY_ID, APPROVE, REJECT } from "../queries.js";
import { riskBadge } from "./badges.js";

/** The panel of pending approvals of the store's project (or of one agent). */
export function approvalsPanel(store, api, { agentId = null } = {}) {
  const cards = new Map();
  const list = h("ul", { class: "approval-list" });
  const empty = h("p", { class: "empty" }, "Nothing waits for a decision.");
  const notices = h("div", { class: "notices", role: "alert" });
  const decided = h("ul", { class: "decided-list" });
  const headingId = uniqueId("approvals");
  const element = h("section", { class: "panel approvals", "aria-labelledby": headingId },
    h("h2", { id: headingId }, "Pending approvals ", h("span", { class: "count", "aria-live": "polite" })),
    notices, list, empty,
    agentId ? null : h("details", { class: "decided" }, h("summary", {}, "Recently decided"), decided));

  const mine = (approval) => agentId === null || approval.agent.id === agentId;
  const notify = (text) => {
    const notice = h("p", { class: "notice lost-race" }, text, " ");
    notice.append(h("button", { type: "button", class: "link", on: { click: () => notice.remove() } }, "Dismiss"));
    notices.prepend(notice);
  };

  const sync = () => {
    const pending = [...store.approvals.values()].filter(mine)
      .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
    for (const [id, card] of cards) {
      if (store.approvals.has(id)) continue;
      cards.delete(id);
      const hadFocus = card.element.contains(document.activeElement);
      // Someone else decided while this operator was deciding: say who, do not just vanish.
      // (With a decision of ours in flight, its CONFLICT says it, once.)
      if (!card.decidedHere && !card.busy && card.engaged()) {
        const decision = store.decision(id);
        if (decision) notify(decidedFirst(decision));
      }
      card.element.remove();
      if (hadFocus) focusHeading(element);
    }
    pending.forEach((approval, index) => {
      let card = cards.get(approval.id);
      if (!card) {
        card = approvalCard(approval, { api, store, notify });
        cards.set(approval.id, card);
      }
      if (list.children[index] !== card.element) list.insertBefore(card.element, list.children[index] ?? null);
    });
    element.querySelector(".count").textContent = pending.length ? `(${pending.length})` : "";
    empty.hidden = pending.length > 0;
    replace(decided, store.decided.filter(mine).map((approval) => h("li", {}, decidedLine(approval))));
  };
  store.addEventListener("approvals", sync);
  sync();
  return { element, dispose: () => store.removeEventListener("approvals", sync) };
}

function approvalCard(approval, { api, store, notify }) {
  const { step, agent, execution } = approval;
  const reasonId = uniqueId("reason");
  const errorId = uniqueId("reason-error");
  const reason = h("textarea", { id: reasonId, rows: "2", required: true, "aria-describedby": errorId });
  const error = h("p", { class: "form-error", id: errorId, role: "alert" });
  const approve = h("button", { type: "button", class: "primary", dataset: { decision: "approve" } }, "Approve");
  const reject = h("button", { type: "button", class: "danger", dataset: { decision: "reject" } }, "Reject");
  const card = { decidedHere: false, busy: false, element: null };
  card.engaged = () => card.busy || reason.value.trim() !== "" || card.element.contains(document.activeElement);

  const decide = async (verb) => {
    error.textContent = "";
    const text = reason.value.trim();
    if (!text) {
      error.textContent = `Give a reason to ${verb}.`;
      reason.setAttribute("aria-invalid", "true");
      reason.focus();
      return;
    }
    reason.removeAttribute("aria-invalid");
    card.busy = true;
    approve.disabled = reject.disabled = true;
    try {
      await api.request(verb === "approve" ? APPROVE : REJECT, { id: approval.id, reason: text });
      card.decidedHere = true;
      store.approvals.delete(approval.id);
      store.dispatchEvent(new CustomEvent("approvals"));
    } catch (failure) {
      card.busy = false;
      approve.disabled = reject.disabled = false;
      if (failure.code === "CONFLICT") {
        card.decidedHere = true; // the notice below says it; no second one on removal
        notify(await lostRace(api, approval.id, failure));
        store.approvals.delete(approval.id);
        store.dispatchEvent(new CustomEvent("approvals"));
      } else {
        error.textContent = describe(failure);
      }
    }
  };
  approve.addEventListener("click", () => decide("approve"));
  reject.addEventListener("click", () => decide("reject"));

  card.element = h("li", { class: "approval", dataset: { approvalId: approval.id, risk: step.riskLevel } },
    h("article", { "aria-label": `Approval: ${step.tool} on ${agent.name}` },
      h("header", {},
        h("h3", {}, h("code", {}, step.tool), " on ", agent.name),
        riskBadge(step.riskLevel),
        step.safe ? null : h("span", { class: "badge unsafe" }, "Unsafe")),
      h("p", { class: "meta" },
        `Step ${step.index + 1} of “${execution.description}” · requested ${clock(approval.requestedAt)} · expires `,
        h("span", { class: "until", dataset: { until: approval.expiresAt } }, until(approval.expiresAt))),
      step.rationale ? h("p", { class: "rationale" }, step.rationale) : null,
      h("div", { class: "assessment" },
        h("div", {}, h("h4", {}, "Risks"), bullets(step.risks, "None found")),
        h("div", {}, h("h4", {}, "Mitigations"), bullets(step.mitigations, "None listed"))),
      h("div", { class: "decide" },
        h("label", { for: reasonId }, "Reason (required)"), reason, error,
        h("div", { class: "buttons" }, approve, reject))));
  return card;
}

// Focus must not fall to <body> when the focused card leaves.
function focusHeading(panel) {
  const heading = panel.querySelector("h2");
  heading.tabIndex = -1;
  heading.focus();
}

function bullets(items, none) {
  return items.length ? h("ul", { class: "bullets" }, items.map((item) => h("li", {}, item))) : h("p", { class: "muted" }, none);
}

async function lostRace(api, approvalId, failure) {
  try {
    const { node } = await api.request(APPROVAL_BY_ID, { id: approvalId });
    if (node) return `Too late: ${decidedFirst(node)}`;
  } catch {
    // Fall back to the server's message.
  }
  return `Too late: ${failure.message}`;
}

function decidedFirst(approval) {
  const verb = label(approval.status).toLowerCase();
  const who = approval.decidedBy ? ` by ${person(approval.decidedBy)}` : "";
  const why = approval.reason ? ` (“${approval.reason}”)` : "";
  return `${approval.step.tool} on ${approval.agent.name} was already ${verb}${who} at ${clock(approval.decidedAt)}${why}.`;
}

function decidedLine(approval) {
  const who = approval.decidedBy ? ` by ${person(approval.decidedBy)}` : "";
  return `${label(approval.status)}: ${approval.step.tool} on ${approval.agent.name}${who} · ${clock(approval.decidedAt)}`;
}
