import KeysView from "./view";

export const dynamic = "force-dynamic";

export default function KeysPage() {
  return <KeysView />;
}
