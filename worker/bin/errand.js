#!/usr/bin/env node
// The `errand` command: the built CLI. It loads TypeScript configs and task modules through
// tsx only when it meets one, so JavaScript apps run it on plain Node.
import "../dist/cli.js";
