import Credentials from './pages/Credentials.svelte';
import Approvals from './pages/Approvals.svelte';
import Audit from './pages/Audit.svelte';
import Sofa from './pages/Sofa.svelte';
import Vcenter from './pages/Vcenter.svelte';
import Assistants from './pages/Assistants.svelte';
import Settings from './pages/Settings.svelte';

/** The app's navigation, in sidebar order. A page with `needsStatus` is given the app's status
 *  (`status: AppStatus | null`, null until it has loaded); the others take no props. */
export const pages = [
  { id: 'credentials', title: 'Credentials', component: Credentials, needsStatus: true },
  // Second: what an admin looks for first when an assistant is waiting (the nav shows a count).
  { id: 'approvals', title: 'Approvals', component: Approvals },
  // Wide: its table has eight columns.
  { id: 'audit', title: 'Audit', component: Audit, wide: true },
  // Wide: its Fleet tab's table has nine columns.
  { id: 'sofa', title: 'SOFA', component: Sofa, wide: true },
  // Wide: its VM table has six columns.
  { id: 'vcenter', title: 'vCenter', component: Vcenter, wide: true },
  { id: 'assistants', title: 'Assistants', component: Assistants, needsStatus: true },
  { id: 'settings', title: 'Settings', component: Settings, needsStatus: true },
] as const;

export type PageId = (typeof pages)[number]['id'];
