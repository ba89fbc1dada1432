#!/usr/bin/env node
// The `errand` command. The CLI is TypeScript: register tsx's loader, then import it, so
// that it also loads the app's errand.config.ts and task modules. (A `node --import tsx`
// shebang would resolve tsx from the caller's folder and fail outside this package.)
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
