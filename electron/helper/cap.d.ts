// Types for `cap` 0.2.1, which ships none. Only what the helper uses is declared.
declare module 'cap' {
  import { EventEmitter } from 'node:events';

  export interface CapDeviceAddress {
    addr?: string;
    netmask?: string;
    broadaddr?: string;
    dstaddr?: string;
  }

  export interface CapDevice {
    name: string;
    description?: string;
    addresses: CapDeviceAddress[];
    /** 'PCAP_IF_LOOPBACK' for loopback devices, absent otherwise. */
    flags?: string;
  }

  export class Cap extends EventEmitter {
    /**
     * Opens and activates `device` (snaplen 65535, promiscuous, immediate mode),
     * then compiles and sets `filter`. Returns the link type name
     * ('ETHERNET', 'NULL', 'RAW', 'LINKTYPE_LINUX_SLL', 'IEEE802_11_RADIO' or 'Unknown linktype N').
     * Throws libpcap's message on failure; the object must not be opened again after that.
     */
    open(device: string, filter: string, bufferSize: number, buffer: Buffer): string;
    /** pcap_sendpacket; segfaults unless the object is open. */
    send(buffer: Buffer, length?: number): void;
    close(): boolean;
    setMinBytes?(bytes: number): void;
    on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): this;
    static findDevice(ip?: string): string | undefined;
    static deviceList(): CapDevice[];
  }
}
