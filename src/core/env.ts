/** Environment variables as plx reads them: handed down from the CLI, never read from the process elsewhere. */
export type Env = Readonly<Record<string, string | undefined>>;
