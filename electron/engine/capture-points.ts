/**
 * The capture points of one file (its interfaces, as `capture` writes several points at once),
 * each read into a shared/compare CapturePoint, for `compare FILE` and the workbench's two-point view.
 */
import { CapturePoint } from '../../shared/compare';
import type { CaptureFileReadResult } from './capture-file';
import { readCaptureFile } from './capture-file';

export interface FilePoints {
  /** IDB names of the first section's interfaces ('' when unnamed). */
  names: string[];
  points: CapturePoint[];
  damage: CaptureFileReadResult['damage'];
}

/** One pass over the file: every interface of its first section becomes a point (a point keeps columns, not frames). */
export async function readFilePoints(file: string): Promise<FilePoints> {
  const names: string[] = [];
  const points: CapturePoint[] = [];
  let sections = 0;
  const result = await readCaptureFile(file, {
    onSection: () => void sections++,
    onInterface: (iface) => {
      if (sections > 1) return;
      names.push(iface.name ?? '');
      points.push(new CapturePoint());
    },
    onFrame: (frame) => {
      if (sections <= 1) points[frame.interfaceId]?.add(frame);
    },
  });
  for (const point of points) point.finish();
  return { names, points, damage: result.damage };
}

/** A point's label: its IDB name, else its number. */
export function pointLabel(names: readonly string[], id: number): string {
  return names[id] || `interface ${id}`;
}
