// The signed-in API client: every request carries a fresh access token; a request refused as
// UNAUTHENTICATED gets one refresh and one retry, and a second refusal ends the session.

import { GraphQLError, post } from "./graphql.js";

export class Api {
  constructor(session) {
    this.session = session;
  }

  async request(document, variables = {}) {
    try {
      return await post(document, variables, await this.session.token());
    } catch (error) {
      if (!(error instanceof GraphQLError) || error.code !== "UNAUTHENTICATED") throw error;
    }
    if (!(await this.session.refresh())) throw unauthenticated();
    try {
      return await post(document, variables, await this.session.token());
    } catch (error) {
      if (error instanceof GraphQLError && error.code === "UNAUTHENTICATED") this.session.expire();
      throw error;
    }
  }
}

function unauthenticated() {
  return new GraphQLError({ message: "Your session has expired.", extensions: { code: "UNAUTHENTICATED" } });
}
