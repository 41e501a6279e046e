// Errors as an operator should read them: what happened and what to do, from extensions.code.

import { GraphQLError, NetworkError } from "./graphql.js";
import { label } from "./format.js";

/** A sentence for an error thrown by the API client. */
export function describe(error, { action = "do that", subject = "the agent" } = {}) {
  if (error instanceof NetworkError) return "The server cannot be reached right now. Check the connection and try again.";
  if (!(error instanceof GraphQLError)) return `Something went wrong: ${error?.message ?? error}`;
  const ext = error.extensions;
  switch (error.code) {
    case "INVALID_TRANSITION": {
      const moves = ext.allowedMoves?.length ? ext.allowedMoves.join(", ") : "nothing (the status is final)";
      return `Cannot ${action}: ${subject} is ${label(ext.currentStatus)}. From ${label(ext.currentStatus)} it can: ${moves}.`;
    }
    case "CONFLICT":
      if (ext.currentRevision !== undefined) {
        return `${capitalize(subject)} changed while you were looking (now revision ${ext.currentRevision}). The page shows its current state; check it and try again.`;
      }
      return error.message;
    case "UNAUTHENTICATED":
      return "Your session has expired. Sign in again.";
    case "FORBIDDEN":
      return "You are not allowed to do this.";
    case "NOT_FOUND":
      return "It no longer exists, or you may not see it.";
    case "RATE_LIMITED":
      return ext.retryAfterSeconds
        ? `Too many attempts. Wait ${Math.ceil(ext.retryAfterSeconds)} s and try again.`
        : "Too many attempts. Wait a moment and try again.";
    case "VALIDATION_ERROR":
      return error.message;
    default:
      return `${error.message}`;
  }
}

function capitalize(text) {
  return text[0].toUpperCase() + text.slice(1);
}
