// How values read on the page: relative times, numbers, statuses, resource usage.

const timeFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "short", day: "numeric",
  hour: "2-digit", minute: "2-digit", second: "2-digit",
});
const clockFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit", minute: "2-digit", second: "2-digit",
});
const hourFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

/** "12 s ago", "3 min ago", "2 h ago", "5 d ago"; "never" without a time. */
export function ago(iso, now = Date.now()) {
  if (!iso) return "never";
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

/** "in 23 h", "in 4 min"; "now" once past. */
export function until(iso, now = Date.now()) {
  const seconds = Math.floor((Date.parse(iso) - now) / 1000);
  if (seconds <= 0) return "now";
  if (seconds < 60) return `in ${seconds} s`;
  if (seconds < 3600) return `in ${Math.floor(seconds / 60)} min`;
  return `in ${Math.floor(seconds / 3600)} h`;
}

export function dateTime(iso) {
  return iso ? timeFormat.format(new Date(iso)) : "—";
}

export function clock(iso) {
  return iso ? clockFormat.format(new Date(iso)) : "—";
}

/** "14:05", or "Dec 1, 14:05" when the day matters. */
export function shortTime(iso, withDay = false) {
  return (withDay ? dayFormat : hourFormat).format(new Date(iso));
}

export function number(value) {
  return value === null || value === undefined ? "—" : numberFormat.format(value);
}

/** EXECUTING → "Executing", WAITING_APPROVAL → "Waiting approval". */
export function label(value) {
  if (!value) return "—";
  const words = String(value).toLowerCase().replaceAll("_", " ");
  return words[0].toUpperCase() + words.slice(1);
}

// Runtimes report resource usage as a free-form object; these keys read best abbreviated.
const RESOURCE_NAMES = [
  ["cpu_percent", "CPU", "%"],
  ["cpu", "CPU", "%"],
  ["memory_percent", "Mem", "%"],
  ["memory_mb", "Mem", " MB"],
  ["gpu_percent", "GPU", "%"],
  ["gpu_utilization", "GPU", "%"],
];

/** The two most telling entries of a resource-usage object: "CPU 42% · Mem 512 MB". */
export function resources(usage) {
  if (!usage || typeof usage !== "object" || Object.keys(usage).length === 0) return "—";
  const parts = [];
  const used = new Set();
  for (const [key, name, unit] of RESOURCE_NAMES) {
    if (typeof usage[key] === "number" && !parts.some((p) => p.startsWith(name))) {
      parts.push(`${name} ${numberFormat.format(usage[key])}${unit}`);
      used.add(key);
    }
  }
  for (const [key, value] of Object.entries(usage)) {
    if (parts.length >= 2) break;
    if (!used.has(key) && (typeof value === "number" || typeof value === "string")) {
      parts.push(`${key} ${typeof value === "number" ? numberFormat.format(value) : value}`);
    }
  }
  return parts.slice(0, 2).join(" · ") || "—";
}

export function json(value) {
  return JSON.stringify(value, null, 2);
}

/** Who an actor string names: "user:…" → "a user", "system" → "system". */
export function actor(value) {
  if (!value) return "—";
  if (value === "system") return "system";
  if (value.startsWith("agent-token:")) return "agent runtime";
  if (value.startsWith("user:")) return "operator";
  return value;
}

/** A user's display name: "Ada Lovelace" or the email. */
export function person(user) {
  if (!user) return "someone";
  const name = [user.firstName, user.lastName].filter(Boolean).join(" ");
  return name ? `${name} (${user.email})` : user.email;
}
