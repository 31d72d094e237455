import AuditView from "./view";

export const dynamic = "force-dynamic";
export const metadata = { title: "Audit log" };

export default function AuditPage() {
  return <AuditView />;
}
