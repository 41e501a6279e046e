// GraphQL over HTTP: one POST per document, errors turned into GraphQLError with their code.

export const ENDPOINT = new URL("graphql", document.baseURI).href;

/** An error the API answered with; `code` is extensions.code (UNAUTHENTICATED, CONFLICT …). */
export class GraphQLError extends Error {
  constructor(error) {
    super(error.message ?? "The server refused the request.");
    this.name = "GraphQLError";
    this.extensions = error.extensions ?? {};
    this.code = this.extensions.code ?? "INTERNAL";
    this.path = error.path;
  }
}

/** The server could not be reached (offline, restarting): worth retrying, not a refusal. */
export class NetworkError extends Error {
  constructor(cause) {
    super("The server cannot be reached.");
    this.name = "NetworkError";
    this.cause = cause;
  }
}

/** Sends one document; resolves to `data`, rejects with the first GraphQLError or a NetworkError. */
export async function post(query, variables = {}, token = null) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
      credentials: "omit",
    });
  } catch (error) {
    throw new NetworkError(error);
  }
  let body;
  try {
    body = await response.json();
  } catch (error) {
    throw response.status >= 500 ? new NetworkError(error) : new GraphQLError({ message: `HTTP ${response.status}` });
  }
  if (body.errors?.length) throw new GraphQLError(body.errors[0]);
  return body.data;
}
