// The live picture of one project: its agents, pending approvals and recent activity, read once
// and then kept current by four subscriptions (three of them durable and resumable).

import {
  APPROVAL_EVENTS, FLEET, HEARTBEATS, PENDING_APPROVALS, STATE_EVENTS, WORK_EVENTS,
} from "./queries.js";
import { cursorAfter } from "./ws.js";

const ACTIVITY_KEPT = 100;
const DECIDED_KEPT = 10;

/**
 * Events: "agents", "approvals", "decided" (detail: the decided approval), "activity",
 * "history" (detail: {agentId, transition}), "execution" (detail: {agentId}), "error".
 */
export class FleetStore extends EventTarget {
  constructor(api, client, projectId) {
    super();
    this.api = api;
    this.client = client;
    this.projectId = projectId;
    this.project = null;
    this.agents = new Map();
    this.approvals = new Map();
    this.decided = [];
    this.activity = [];
    this.handles = [];
    this.stopped = false;
    this.onStatus = (event) => {
      if (event.detail.state === "live" && event.detail.resumed) this.#refreshAgents();
    };
  }

  async start() {
    const startCursor = await this.#loadAgents();
    const pending = await this.api.request(PENDING_APPROVALS, { projectId: this.projectId });
    if (this.stopped) return; // the operator left while this was loading
    for (const { node } of pending.approvals.edges) this.approvals.set(node.id, node);
    this.#emit("agents");
    this.#emit("approvals");
    const projectId = this.projectId;
    const durable = { resumable: true, cursor: startCursor };
    this.handles = [
      this.client.subscribe(STATE_EVENTS, { projectId }, this.#sink((e) => this.#stateEvent(e)), durable),
      this.client.subscribe(APPROVAL_EVENTS, { projectId }, this.#sink((e) => this.#approvalEvent(e)), durable),
      this.client.subscribe(WORK_EVENTS, { projectId }, this.#sink((e) => this.#workEvent(e)), durable),
      this.client.subscribe(HEARTBEATS, { projectId }, this.#sink((e) => this.#heartbeat(e))),
    ];
    this.client.addEventListener("status", this.onStatus);
  }

  stop() {
    this.stopped = true;
    this.client.removeEventListener("status", this.onStatus);
    for (const handle of this.handles) handle.unsubscribe();
    this.handles = [];
  }

  /** Takes an agent as the API returned it, unless what we hold is newer (by revision). */
  upsertAgent(agent) {
    const known = this.agents.get(agent.id);
    if (known && known.revision > agent.revision) return;
    const merged = { ...known, ...agent };
    if (known && known.lastHeartbeatAt && timeOf(known.lastHeartbeatAt) > timeOf(agent.lastHeartbeatAt)) {
      merged.lastHeartbeatAt = known.lastHeartbeatAt;
    }
    this.agents.set(agent.id, merged);
    this.#emit("agents");
  }

  /** Who decided an approval that left the list (for the "decided first" notice). */
  decision(approvalId) {
    return this.decided.find((approval) => approval.id === approvalId) ?? null;
  }

  /** Reads every agent (paging through) and returns the newest status cursor among them. */
  async #loadAgents() {
    let after = null;
    let newest = null;
    do {
      const data = await this.api.request(FLEET, { id: this.projectId, after });
      if (!data.project) throw new Error("This project no longer exists, or you may not see it.");
      this.project = { id: data.project.id, name: data.project.name, slug: data.project.slug };
      const page = data.project.agents;
      for (const { node } of page.edges) {
        const { statusHistory, ...agent } = node;
        const cursor = statusHistory.edges[0]?.node.cursor ?? null;
        if (cursor && cursorAfter(cursor, newest)) newest = cursor;
        this.upsertAgent(agent);
      }
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    return newest;
  }

  // After a reconnect: heartbeats are not replayed, so read the fleet again (merged by revision).
  async #refreshAgents() {
    try {
      await this.#loadAgents();
    } catch (error) {
      this.#emit("error", error);
    }
  }

  #sink(handler) {
    return {
      next: (event) => handler(event),
      error: (error) => this.#emit("error", error),
    };
  }

  #stateEvent(event) {
    this.upsertAgent(event.agent);
    this.#record(event);
    if (event.kind === "STATUS_CHANGED") {
      const { cursor, fromStatus, toStatus, reason, actor, at } = event;
      this.#emit("history", { agentId: event.agent.id, transition: { cursor, fromStatus, toStatus, reason, actor, at } });
    }
  }

  #approvalEvent(event) {
    this.upsertAgent(event.agent);
    this.#record(event);
    const approval = event.approval;
    if (event.kind === "APPROVAL_REQUESTED" && approval.status === "PENDING") {
      this.approvals.set(approval.id, approval);
    } else if (event.kind === "APPROVAL_DECIDED") {
      this.approvals.delete(approval.id);
      this.decided = [approval, ...this.decided.filter((a) => a.id !== approval.id)].slice(0, DECIDED_KEPT);
      this.#emit("decided", approval);
    }
    this.#emit("approvals");
    this.#emit("execution", { agentId: event.agent.id });
  }

  #workEvent(event) {
    this.upsertAgent({ ...event.agent, health: event.health ?? event.agent.health });
    this.#record(event);
    if (event.kind === "EXECUTION_UPDATED") this.#emit("execution", { agentId: event.agent.id });
  }

  #heartbeat(event) {
    const agent = this.agents.get(event.agent.id);
    if (!agent) return;
    if (agent.lastHeartbeatAt && timeOf(agent.lastHeartbeatAt) > timeOf(event.agent.lastHeartbeatAt)) return;
    const state = event.resourceUsage ? { ...agent.state, resourceUsage: event.resourceUsage } : agent.state;
    this.agents.set(agent.id, { ...agent, lastHeartbeatAt: event.agent.lastHeartbeatAt, health: event.health ?? agent.health, state });
    this.#emit("agents");
  }

  // The activity log, newest first, ordered by cursor (events of several subscriptions interleave).
  #record(event) {
    if (!event.cursor || this.activity.some((entry) => entry.cursor === event.cursor)) return;
    const index = this.activity.findIndex((entry) => cursorAfter(event.cursor, entry.cursor));
    const entry = { ...event, agentName: event.agent.name };
    if (index === -1) this.activity.push(entry);
    else this.activity.splice(index, 0, entry);
    this.activity.length = Math.min(this.activity.length, ACTIVITY_KEPT);
    this.#emit("activity", entry);
  }

  #emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}

function timeOf(iso) {
  return iso ? Date.parse(iso) : 0;
}
