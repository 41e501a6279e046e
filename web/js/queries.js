// Every GraphQL document the dashboard sends (fields as in schema.graphql).

const USER = "id email firstName lastName isSuperuser";
const SESSION = `accessToken refreshToken expiresIn user { ${USER} }`;

/** What a fleet row shows; every agent-carrying event asks for the same fields. */
export const AGENT_ROW = `
  id name status revision health lastHeartbeatAt
  agentType { id name slug }
  state { resourceUsage currentWorkflow errorCount }
`;

const APPROVAL = `
  id status requestedAt expiresAt decidedAt reason
  decidedBy { email firstName lastName }
  agent { id name }
  execution { id description status }
  step { index tool rationale riskLevel safe requiresApproval risks mitigations }
`;

const TRANSITION = "cursor fromStatus toStatus reason actor at";

export const LOGIN = `mutation Login($input: LoginInput!) { login(input: $input) { ${SESSION} } }`;
export const REFRESH = `mutation Refresh($refreshToken: String!) { refreshToken(refreshToken: $refreshToken) { ${SESSION} } }`;
export const LOGOUT = `mutation Logout($refreshToken: String!) { logout(refreshToken: $refreshToken) }`;

export const PROJECTS = `
query Projects {
  projects(first: 100) { edges { node {
    id name slug
    agentStats { totalInstances activeInstances errorInstances }
  } } }
}`;

// statusHistory(first: 1) gives the newest transition's cursor: subscriptions start after it,
// so nothing committed between this read and the subscription is missed.
export const FLEET = `
query Fleet($id: ID!, $after: String) {
  project(id: $id) {
    id name slug
    agents(first: 100, after: $after, orderBy: { field: NAME }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ${AGENT_ROW} statusHistory(first: 1) { edges { node { cursor } } } } }
    }
  }
}`;

export const PENDING_APPROVALS = `
query PendingApprovals($projectId: ID!) {
  approvals(projectId: $projectId, status: PENDING, first: 50) { edges { node { ${APPROVAL} } } }
}`;

export const APPROVAL_BY_ID = `
query Approval($id: ID!) { node(id: $id) { ... on Approval { ${APPROVAL} } } }`;

export const APPROVE = `
mutation Approve($id: ID!, $reason: String) { approve(id: $id, reason: $reason) { ${APPROVAL} } }`;
export const REJECT = `
mutation Reject($id: ID!, $reason: String!) { reject(id: $id, reason: $reason) { ${APPROVAL} } }`;

export const AGENT_DETAIL = `
query AgentDetail($id: ID!) {
  agent(id: $id) {
    ${AGENT_ROW}
    safetyLevel version endpoint tasksCompleted tokensUsed costIncurred createdAt
    project { id name }
    state { currentWorkflow workflowData resourceLocks resourceUsage errorCount lastError lastActivityAt }
    configs { id key value valueType description isSensitive masked }
    capabilities { id name version enabled description }
    metrics(first: 100) { edges { node { name unit } } }
  }
}`;

export const STATUS_HISTORY = `
query StatusHistory($id: ID!) {
  agent(id: $id) { id statusHistory(first: 20) { totalCount edges { node { ${TRANSITION} } } } }
}`;

export const EXECUTIONS = `
query Executions($id: ID!) {
  agent(id: $id) { id executions(first: 10) { totalCount edges { node {
    id description status dryRun startedAt completedAt error recoveryStrategy tokensUsed cost
    steps {
      index tool rationale riskLevel requiresApproval safe risks mitigations status attempts error
      startedAt completedAt
    }
    checkpoints { id name createdAt }
  } } } }
}`;

export const METRIC_SERIES = `
query MetricSeries($id: ID!, $name: String!, $since: DateTime!, $bucket: Int!) {
  agent(id: $id) {
    id
    metricSeries(name: $name, since: $since, bucketSeconds: $bucket, aggregate: AVG) { bucket value count }
    metricSummary(name: $name, since: $since) { count min max last lastAt }
  }
}`;

const MOVE = (field) => `
mutation Move($input: AgentTransitionInput!) {
  ${field}(input: $input) { agent { ${AGENT_ROW} } transition { ${TRANSITION} } }
}`;
export const MOVES = {
  pause: { field: "pauseAgent", document: MOVE("pauseAgent") },
  resume: { field: "resumeAgent", document: MOVE("resumeAgent") },
  recover: { field: "recoverAgent", document: MOVE("recoverAgent") },
  terminate: { field: "terminateAgent", document: MOVE("terminateAgent") },
};

// Subscriptions. Durable ones take $after: the client resumes from the last cursor it saw.
export const STATE_EVENTS = `
subscription StateEvents($projectId: ID!, $after: String) {
  agentStateChanged(projectId: $projectId, after: $after) {
    cursor kind at fromStatus toStatus reason actor agent { ${AGENT_ROW} }
  }
}`;

export const HEARTBEATS = `
subscription Heartbeats($projectId: ID!) {
  agentHeartbeat(projectId: $projectId) { kind at health resourceUsage agent { id lastHeartbeatAt health } }
}`;

export const APPROVAL_EVENTS = `
subscription ApprovalEvents($projectId: ID!, $after: String) {
  approvalEvents(projectId: $projectId, after: $after) {
    cursor kind at agent { ${AGENT_ROW} } approval { ${APPROVAL} }
  }
}`;

export const WORK_EVENTS = `
subscription WorkEvents($projectId: ID!, $after: String) {
  agentEvents(projectId: $projectId, kinds: [HEALTH_CHANGED, EXECUTION_UPDATED], after: $after) {
    cursor kind at health agent { ${AGENT_ROW} } execution { id description status }
  }
}`;
