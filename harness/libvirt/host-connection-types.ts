// A connected libvirt host, as a type of its own: the libvirt guest uses it without importing the connection code.
import type { HostSpec } from '../schema/lab-config.js';
import type { HostLink } from './host-link.js';

/** The parts of @unraid/libvirt the lab uses (it is an optional dependency, loaded on demand). */
export interface Hypervisor {
  connectOpen(): Promise<void>;
  connectClose(): Promise<void>;
  connectGetHostname(): Promise<string>;
  domainCreateXML(xml: string): Promise<{ getInfo(): Promise<{ state: number }>; destroy(): Promise<void> }>;
}

/** A libvirt host, connected: libvirt for the domains, the link for files, consoles and ports. */
export interface HostConnection {
  spec: HostSpec;
  hv: Hypervisor;
  link: HostLink;
  close(): Promise<void>;
}
