// The data platform's prerequisites. Pulumi's Node.js host calls the exported function; what it returns
// becomes the stack outputs (references only, never secret values). platform/ wires the components.
import { loadStackConfig } from "./config";
import { dataPlatform } from "./platform";

export = () => {
  // Invalid config stops here, listing every problem, before any resource is registered.
  const { config, secrets } = loadStackConfig();
  return dataPlatform(config, secrets);
};
