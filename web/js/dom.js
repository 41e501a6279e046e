// Building DOM nodes without innerHTML: every value from the API is text, never markup.

/**
 * h("a", { href: "#/", class: "brand" }, "Agentgraph") → <a class="brand" href="#/">Agentgraph</a>
 * Attributes: `class`, `dataset` (object), `on` (object of listeners), booleans (true sets the
 * attribute, false/null/undefined leave it out), anything else via setAttribute.
 */
export function h(tag, attributes = {}, ...children) {
  const element = tag.startsWith("svg:")
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "dataset") Object.assign(element.dataset, value);
    else if (name === "on") {
      for (const [event, listener] of Object.entries(value)) element.addEventListener(event, listener);
    } else if (name === "text") element.textContent = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

/** Appends children: nodes, strings (as text), arrays of them; null and false are skipped. */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces an element's children. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** Sets text only when it changed, so ticking values do not churn the DOM. */
export function setText(element, value) {
  const text = String(value);
  if (element.textContent !== text) element.textContent = text;
}

let counter = 0;
/** A document-unique id for label/aria wiring. */
export function uniqueId(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}
