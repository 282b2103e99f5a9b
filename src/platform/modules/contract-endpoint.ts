/**
 * Where and how one process reaches the module APIs another process serves. Shared by the contract server and the
 * remote client so the two cannot drift apart.
 */

/** `POST /internal/modules/<module>/<method>`: the body is the method's input, a 200 answer its output. */
export function contractMethodPath(module: string, method: string): string {
  return `/internal/modules/${module}/${method}`;
}

/** Problem codes of the endpoint's own guard, which the client must not mistake for the callee's domain errors. */
export const SERVICE_TOKEN_REQUIRED = 'SERVICE_TOKEN_REQUIRED';
export const SERVICE_TOKEN_INVALID = 'SERVICE_TOKEN_INVALID';
