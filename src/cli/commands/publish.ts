import { pushCommand } from "./push.js";

export default pushCommand("publish");
