/**
 * Frames of link types the decoder does not follow: counted per link type while a file is read,
 * then named once (number and LINKTYPE_ name) instead of leaving the user with silent output.
 */
import { isSupportedLinkType, linkTypeRegistryName } from '../../shared/wire/linktypes';

export class UnreadLinkTypes {
  private readonly counts = new Map<number, number>();

  /** Counts the frame when its link type is not decoded; cheap for the supported ones. */
  see(linkType: number): void {
    if (isSupportedLinkType(linkType)) return;
    this.counts.set(linkType, (this.counts.get(linkType) ?? 0) + 1);
  }

  get frames(): number {
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }

  /** `link type 147 (LINKTYPE_USER0)`, joined when a pcapng file mixes several. */
  names(): string {
    return [...this.counts.keys()].map((linkType) => `link type ${linkType} (${linkTypeRegistryName(linkType)})`).join(', ');
  }

  /** The one stderr note for the file, or nothing when every frame's link type is decoded. */
  note(command: string, file: string): void {
    if (this.counts.size === 0) return;
    const frames = this.frames;
    process.stderr.write(`handshake ${command}: ${file}: ${this.names()} is not decoded; ${frames} frame${frames === 1 ? '' : 's'} shown as undecoded data\n`);
  }

  toJson(): Record<string, unknown> {
    return {
      type: 'unread',
      frames: this.frames,
      link_types: [...this.counts].map(([linkType, frames]) => ({ link_type: linkType, name: linkTypeRegistryName(linkType), frames })),
    };
  }
}
