import { task } from "@errand/core";

export const resize = task({ name: "media.resize" }, async (url, width) => ({
  url: `${url}?w=${width}`,
  node: process.version,
}));
