import ProvidersView from "./view";

export const dynamic = "force-dynamic";

export default function ProvidersPage() {
  return <ProvidersView />;
}
