import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/.next/**",
      "**/dist/**",
      ".errand/**",
      "test-results/**",
      "playwright-report/**",
      "worker/bench/node_modules/**",
      "worker/bench/results/**",
      "**/next-env.d.ts",
      // The consumer apps are compiled by their own tsconfigs, in a fresh app, by .ci/consumer.
      ".ci/consumer/apps/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "max-params": ["error", 3],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-floating-promises": "error",
      // Task functions are async by contract (the API runs `async (...args) => value`), and so
      // are the store and backend methods that implement async interfaces in memory.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    files: ["packages/react/**/*.{ts,tsx}", "web/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "warn",
    },
  },
  {
    // The schema package stands alone: nothing of it, its tests included, imports the packages built on it.
    files: ["kysely/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@errand/*", "!@errand/db", "!@errand/db/*"],
              message: "@errand/db depends on no other Errand package.",
            },
          ],
        },
      ],
    },
  },
  {
    // The browser's code takes the shared rules from the browser-safe entry only: the other
    // entries of core and the tRPC router's code would bundle the server (pg, kysely) with it.
    files: ["packages/react/src/**/*.{ts,tsx}"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "@errand/core", message: "Import from @errand/core/browser (browser-safe)." },
            { name: "@errand/trpc", allowTypeImports: true, message: "Only types: @errand/trpc is server code." },
          ],
          patterns: [
            {
              group: ["@errand/core/*", "!@errand/core/browser", "@errand/db", "@errand/worker"],
              message: "Server code: the browser imports @errand/core/browser only.",
            },
          ],
        },
      ],
    },
  },
  {
    // expectTypeOf(task.enqueue) reads a method's type; nothing calls it unbound.
    files: ["**/test/**/*.ts"],
    rules: { "@typescript-eslint/unbound-method": "off" },
  },
  {
    // Plain JavaScript (configs, scripts, the bench): no type information.
    files: ["**/*.{js,mjs,cjs}"],
    ...tseslint.configs.disableTypeChecked,
  },
);
