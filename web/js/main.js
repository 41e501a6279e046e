// The dashboard's shell: session, router (#/projects/<id>[/agents/<id>]), the live connection
// and the header. Views render into <main> and return a cleanup function.

import { Api } from "./api.js";
import { h } from "./dom.js";
import { describe } from "./errors.js";
import { FleetStore } from "./live.js";
import { Session } from "./session.js";
import { renderAgent } from "./views/agent.js";
import { startClock } from "./views/clock.js";
import { connectionIndicator } from "./views/connection.js";
import { renderProject } from "./views/project.js";
import { renderProjects } from "./views/projects.js";
import { renderSignIn } from "./views/signin.js";
import { SubscriptionClient } from "./ws.js";

const main = document.getElementById("main");
const crumbs = document.getElementById("project-nav");
const userName = document.getElementById("user");
const signOut = document.getElementById("sign-out");
const toasts = document.getElementById("toasts");
const indicator = connectionIndicator(document.getElementById("connection"));

const session = new Session();
const api = new Api(session);
let client = null;
let store = null;
let storeReady = null;
let cleanup = () => {};
let notice = null;
let generation = 0;

function socketUrl() {
  const url = new URL("graphql", document.baseURI);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

function liveClient() {
  if (!client) {
    client = new SubscriptionClient({
      url: socketUrl(),
      connectionParams: async () => ({ authorization: `Bearer ${await session.token()}` }),
      // A refusal ends the session (and this client); a network failure is worth another try.
      onAuthRefused: () => session.refresh().catch(() => true),
    });
    indicator.follow(client);
  }
  return client;
}

function projectStore(projectId) {
  if (store?.projectId !== projectId) {
    store?.stop();
    store = new FleetStore(api, liveClient(), projectId);
    store.addEventListener("error", (event) => toast(describe(event.detail)));
    storeReady = store.start();
  }
  return storeReady;
}

function stopLive() {
  store?.stop();
  store = null;
  client?.dispose();
  client = null;
  indicator.follow(null);
}

function route() {
  const [section, projectId, sub, agentId] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  if (section !== "projects" || !projectId) return { name: "projects" };
  if (sub === "agents" && agentId) return { name: "agent", projectId, agentId };
  return { name: "project", projectId };
}

async function render() {
  const mine = (generation += 1);
  cleanup();
  cleanup = () => {};
  showHeader();
  if (!session.signedIn) {
    stopLive();
    document.title = "Sign in · Agentgraph";
    cleanup = renderSignIn(main, { session, notice });
    notice = null;
    return;
  }
  const where = route();
  if (where.name === "projects") {
    store?.stop();
    store = null;
    document.title = "Projects · Agentgraph";
    cleanup = renderProjects(main, { api });
    return;
  }
  main.replaceChildren(h("p", { class: "muted loading", role: "status" }, "Loading the fleet…"));
  try {
    await projectStore(where.projectId);
  } catch (error) {
    if (mine !== generation) return;
    store?.stop();
    store = null;
    main.replaceChildren(h("div", { class: "panel" },
      h("h1", { tabindex: "-1" }, "This project cannot be shown"),
      h("p", { class: "form-error", role: "alert" }, describe(error)),
      h("p", {}, h("a", { href: "#/" }, "Back to the projects"))));
    return;
  }
  if (mine !== generation) return;
  showHeader();
  cleanup = where.name === "project"
    ? renderProject(main, { api, store })
    : renderAgent(main, { api, store, agentId: where.agentId, projectId: where.projectId });
}

function showHeader() {
  const user = session.user;
  userName.textContent = user ? user.email : "";
  signOut.hidden = !user;
  const items = [];
  if (user) items.push(h("a", { href: "#/" }, "Projects"));
  if (user && store?.project) {
    items.push(h("span", { "aria-hidden": "true" }, " / "),
      h("a", { href: `#/projects/${encodeURIComponent(store.project.id)}` }, store.project.name));
  }
  crumbs.replaceChildren(...items);
}

function toast(text) {
  const item = h("p", { class: "toast" }, text);
  toasts.append(item);
  setTimeout(() => item.remove(), 8000);
}

session.addEventListener("expired", (event) => {
  notice = event.detail;
});
session.addEventListener("change", () => render());
signOut.addEventListener("click", () => session.signOut());
// The skip link must not change the hash: the hash is the route.
document.querySelector(".skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});
window.addEventListener("hashchange", () => render());
startClock(document.body);
render();
