import UsageView from "./view";

export const dynamic = "force-dynamic";

export default function UsagePage() {
  return <UsageView />;
}
