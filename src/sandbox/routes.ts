// Every API route the sandbox answers, in one table: the registry's, the agents', Tables' and request logging's.
import { REGISTRY_ROUTES } from "./registry.js";
import { createRouter } from "./router.js";
import { TABLE_ROUTES } from "./tables.js";
import { TRACKING_ROUTES } from "./tracking.js";
import { WORKFLOW_ROUTES } from "./workflows.js";

/** Answers one API request; throws nothing but bugs. */
export const handleApiRequest = createRouter([
  ...REGISTRY_ROUTES,
  ...WORKFLOW_ROUTES,
  ...TABLE_ROUTES,
  ...TRACKING_ROUTES,
]);
