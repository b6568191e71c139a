import type { ResolvedConfig } from "../../config/schema.js";

/** `--label L` on a command overrides what the repo tracks, for that run. */
export function configTracking(config: ResolvedConfig, label: string | undefined): ResolvedConfig {
  return label === undefined ? config : { ...config, track: { kind: "label", label } };
}
