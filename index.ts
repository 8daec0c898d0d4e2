// The data platform's prerequisites, in the order Flux needs them. Pulumi's Node.js host calls the
// exported function; its result is the stack outputs.
import { loadStackConfig } from "./components/stackConfig";

function dataPlatform() {
  const { config } = loadStackConfig();
  return { environment: config.environment };
}

export = dataPlatform;
