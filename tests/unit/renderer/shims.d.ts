// Lets the Node-side typecheck (tsconfig.json) accept the component tests' .vue imports;
// the renderer's own check (vue-tsc) types the components themselves.
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<Record<string, unknown>, Record<string, unknown>, unknown>;
  export default component;
}
