import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { DetailNode, FrameDetail } from '../../../shared/api';
import { fromHex } from '../../../shared/wire/bytes';
import { useApi } from '../api/instance';
import { useSessionStore } from './session';
import { useUiStore } from './ui';

/** A node's address in the tree: child positions from the root ("2.0.3"). */
export type NodePath = string;

/**
 * The narrowest node whose bytes contain `offset` (the deeper one on a tie), with its path. A
 * generated line ("[Calculated window size]", shown over the bytes it derives from) is chosen
 * only when no field covers the byte, as in Wireshark: the bytes are the wire field's.
 */
export function nodeAtByte(tree: readonly DetailNode[], offset: number): { node: DetailNode; path: NodePath } | null {
  // Held in an object: TypeScript does not follow assignments made inside the callback.
  const found: { best: { node: DetailNode; path: NodePath; depth: number; generated: boolean } | null } = { best: null };
  const visit = (nodes: readonly DetailNode[], prefix: string, depth: number) => {
    nodes.forEach((node, i) => {
      const path = prefix ? `${prefix}.${i}` : String(i);
      if (node.offset >= 0 && node.length > 0 && offset >= node.offset && offset < node.offset + node.length) {
        const generated = node.label.startsWith('[');
        const best = found.best;
        const better =
          !best ||
          (best.generated && !generated) ||
          (generated === best.generated && (node.length < best.node.length || (node.length === best.node.length && depth > best.depth)));
        if (better) found.best = { node, path, depth, generated };
        visit(node.children, path, depth + 1);
      }
    });
  };
  visit(tree, '', 0);
  return found.best ? { node: found.best.node, path: found.best.path } : null;
}

export function nodeAtPath(tree: readonly DetailNode[], path: NodePath): DetailNode | null {
  let nodes = tree;
  let node: DetailNode | null = null;
  for (const part of path.split('.')) {
    node = nodes[Number(part)] ?? null;
    if (!node) return null;
    nodes = node.children;
  }
  return node;
}

/** The selected frame's decoded tree and bytes, and the field↔byte selection between them. */
export const useDetailStore = defineStore('detail', () => {
  const detail = shallowRef<FrameDetail | null>(null);
  const bytes = shallowRef<Uint8Array>(new Uint8Array(0));
  const selectedPath = ref<NodePath | null>(null);
  /** Paths of expanded nodes; layers start expanded. */
  const expanded = ref(new Set<NodePath>());
  const loading = ref(false);
  let request = 0;

  const selectedNode = computed(() => (detail.value && selectedPath.value ? nodeAtPath(detail.value.tree, selectedPath.value) : null));
  const highlight = computed(() => {
    const node = selectedNode.value;
    return node && node.offset >= 0 && node.length > 0 ? { offset: node.offset, length: node.length } : null;
  });

  async function load(index: number | null): Promise<void> {
    const sessionId = useSessionStore().sessionId;
    const mine = ++request;
    if (index === null || !sessionId) {
      detail.value = null;
      bytes.value = new Uint8Array(0);
      selectedPath.value = null;
      return;
    }
    loading.value = true;
    try {
      const frame = await useApi().getFrame({ sessionId, index });
      if (mine !== request) return;
      detail.value = frame;
      bytes.value = fromHex(frame.bytesHex);
      // Keep the same field selected when moving between similar frames.
      if (selectedPath.value && !nodeAtPath(frame.tree, selectedPath.value)) selectedPath.value = null;
      if (expanded.value.size === 0) expanded.value = new Set(frame.tree.map((_, i) => String(i)));
    } catch (error) {
      if (mine === request) useUiStore().fail(error);
    } finally {
      if (mine === request) loading.value = false;
    }
  }

  function selectPath(path: NodePath | null): void {
    selectedPath.value = path;
    if (!path) return;
    // Reveal the node: expand every ancestor.
    const parts = path.split('.');
    const next = new Set(expanded.value);
    for (let i = 1; i < parts.length; i++) next.add(parts.slice(0, i).join('.'));
    expanded.value = next;
  }

  function selectByte(offset: number): void {
    if (!detail.value) return;
    const hit = nodeAtByte(detail.value.tree, offset);
    selectPath(hit ? hit.path : null);
  }

  function toggle(path: NodePath): void {
    const next = new Set(expanded.value);
    if (next.has(path)) next.delete(path);
    else next.add(path);
    expanded.value = next;
  }

  return { detail, bytes, selectedPath, selectedNode, highlight, expanded, loading, load, selectPath, selectByte, toggle };
});
