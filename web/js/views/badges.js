// Status and health badges: colour and a word, so neither depends on colour alone.

import { h, setText } from "../dom.js";
import { label } from "../format.js";

export function statusBadge(status) {
  return h("span", { class: `badge status status-${String(status).toLowerCase()}`, dataset: { status } }, label(status));
}

export function healthBadge(health) {
  return h("span", { class: `badge health health-${String(health).toLowerCase()}`, dataset: { health } }, label(health));
}

/** Updates a badge made by statusBadge/healthBadge in place. */
export function updateBadge(badge, kind, value) {
  if (badge.dataset[kind] === value) return;
  badge.dataset[kind] = value;
  badge.className = `badge ${kind} ${kind}-${String(value).toLowerCase()}`;
  setText(badge, label(value));
}

export function riskBadge(risk) {
  return h("span", { class: `badge risk risk-${String(risk).toLowerCase()}` }, `${label(risk)} risk`);
}
