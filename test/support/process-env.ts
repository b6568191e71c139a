// The official SDK reads some settings (OPENAI_BASE_URL, OPENAI_API_KEY) from process.env only: tests that set them
// put back what was there after each test.
import { afterEach } from "vitest";

export function restoreEnvAfterEach(names: readonly string[]): void {
  const saved = new Map(names.map((name) => [name, process.env[name]]));
  afterEach(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}
