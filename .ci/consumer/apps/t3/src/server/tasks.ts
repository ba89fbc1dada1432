import { task } from "@errand/core";

export const resizeImage = task({ name: "media.resize" }, async (url: string, width: number) => ({
  url: `${url}?w=${width}`,
  node: process.version,
}));
