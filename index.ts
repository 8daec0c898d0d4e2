// The data platform's prerequisites. Pulumi's Node.js host calls the exported function; what it returns
// becomes the stack outputs (references only, never secret values). platform/ wires the components.
import { loadStackConfig } from "./config";
import { dataPlatform, removalGuard } from "./platform";

export = async () => {
  // Invalid config stops here, listing every problem, before any resource is registered.
  const { config, secrets } = loadStackConfig();
  // Then an entry apps depend on that is gone from config without `remove` stops the run, before any
  // resource changes: nothing else is registered until the engine has checked the guard.
  await removalGuard(config);
  return dataPlatform(config, secrets);
};
