// Configs and capabilities of one agent. Sensitive values stay hidden until revealed (and the
// server withholds them from anyone who may not read them: `masked`).

import { h } from "../dom.js";
import { label } from "../format.js";

const HIDDEN = "••••••••";

export function configsTable(configs) {
  if (configs.length === 0) return h("p", { class: "muted" }, "No configuration entries.");
  return h("table", { class: "configs" },
    h("thead", {}, h("tr", {}, ["Key", "Value", "Type", "Description"].map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, configs.map((config) => h("tr", { dataset: { key: config.key } },
      h("th", { scope: "row" }, h("code", {}, config.key), config.isSensitive ? h("span", { class: "badge sensitive" }, "Sensitive") : null),
      h("td", { class: "value" }, configValue(config)),
      h("td", {}, label(config.valueType)),
      h("td", {}, config.description ?? "")))));
}

function configValue(config) {
  if (config.masked) {
    return h("span", { class: "masked", title: "Only the project's owner can read this value" },
      HIDDEN, h("span", { class: "visually-hidden" }, " (hidden: you may not read it)"));
  }
  if (!config.isSensitive) return h("code", {}, config.value);
  // Readable, but not shown to whoever looks over the operator's shoulder until asked.
  const shown = h("code", { class: "secret" }, HIDDEN);
  const toggle = h("button", { type: "button", class: "link", "aria-pressed": "false", "aria-label": `Reveal ${config.key}` }, "Reveal");
  toggle.addEventListener("click", () => {
    const reveal = toggle.getAttribute("aria-pressed") === "false";
    shown.textContent = reveal ? config.value : HIDDEN;
    toggle.setAttribute("aria-pressed", String(reveal));
    toggle.textContent = reveal ? "Hide" : "Reveal";
    toggle.setAttribute("aria-label", `${reveal ? "Hide" : "Reveal"} ${config.key}`);
  });
  return h("span", { class: "sensitive-value" }, shown, " ", toggle);
}

export function capabilitiesTable(capabilities) {
  if (capabilities.length === 0) return h("p", { class: "muted" }, "No capabilities registered.");
  const sorted = [...capabilities].sort((a, b) => a.name.localeCompare(b.name) || compareVersions(b.version, a.version));
  return h("table", { class: "capabilities" },
    h("thead", {}, h("tr", {}, ["Capability", "Version", "State", "Description"].map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, sorted.map((capability) => h("tr", { class: capability.enabled ? "" : "is-disabled", dataset: { name: capability.name, version: capability.version } },
      h("th", { scope: "row" }, h("code", {}, capability.name)),
      h("td", { class: "version" }, capability.version),
      h("td", {}, capability.enabled ? "Enabled" : "Disabled"),
      h("td", {}, capability.description ?? "")))));
}

// Newest version first: 1.10.0 after 1.9.0 (semver core; pre-release tags compare as text).
function compareVersions(a, b) {
  const parse = (v) => v.split(/[.+-]/).slice(0, 3).map(Number);
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i += 1) if (x[i] !== y[i]) return x[i] - y[i];
  return a.localeCompare(b);
}
