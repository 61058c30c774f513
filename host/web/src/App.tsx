// The application: decides between setup, sign-in and the signed-in shell, and routes the
// shell's main area by the address bar.

import { useEffect, useState } from 'preact/hooks';
import { api } from './api';
import { Account } from './account/Account';
import { AdminConsole } from './admin/AdminConsole';
import { Setup, SignIn } from './auth/SignIn';
import { GroupView } from './chat/GroupView';
import { QuickSwitch } from './chat/QuickSwitch';
import { Search } from './chat/Search';
import { Sidebar } from './chat/Sidebar';
import { startNotifications } from './chat/notify';
import { startRealtime, stopRealtime } from './chat/realtime';
import { groupById, groups, groupsLoaded, loadGroups } from './chat/store';
import { Directory, ProfileCard } from './directory/Directory';
import { strings } from './i18n';
import { PluginPage } from './plugins/PluginPage';
import { match, navigate, path } from './router';
import { restoreSession, session } from './session';
import { Empty, ErrorNote, MenuButton, Spinner, Toasts } from './ui/kit';

const t = strings({
  welcome: ['Welcome to Courtyard', '欢迎使用 Courtyard'],
  welcomeHint: ['You are not in any group yet. Find colleagues in the directory and send them a message.', '你还没有加入任何群组。在通讯录中找到同事，给他们发消息吧。'],
  openDirectory: ['Open the directory', '打开通讯录'],
  notFound: ['This group does not exist or you cannot see it.', '该群组不存在，或你无权查看。'],
});

export function App() {
  const [setupNeeded, setSetupNeeded] = useState<boolean | null>(null);
  useEffect(() => {
    void restoreSession();
    api.get<{ needed: boolean }>('/api/v1/setup').then(
      (s) => setSetupNeeded(s.needed),
      () => setSetupNeeded(false),
    );
  }, []);

  const s = session.value;
  if (s === undefined || setupNeeded === null) return <Spinner />;
  if (!s) {
    if (setupNeeded) return <Setup done={() => setSetupNeeded(false)} />;
    return <SignIn after={() => path.value.startsWith('/login') && navigate('/', true)} />;
  }
  return <Shell key={s.person.id} />;
}

function Shell() {
  const [navOpen, setNavOpen] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    startRealtime();
    const stopNotifications = startNotifications();
    loadGroups().catch(setError);
    return () => {
      stopNotifications();
      stopRealtime();
    };
  }, []);
  const openNav = () => setNavOpen(true);
  // The tab's title carries the unread count, so a background tab shows there is news.
  const unread = groups.value.reduce((n, g) => n + (g.my_role !== null ? g.unread_count : 0), 0);
  useEffect(() => {
    document.title = unread > 0 ? `(${unread > 99 ? '99+' : unread}) Courtyard` : 'Courtyard';
  }, [unread]);
  return (
    <div class={`shell${navOpen ? ' nav-open' : ''}`}>
      <Sidebar onNavigate={() => setNavOpen(false)} />
      {error ? (
        <div class="main">
          <div class="page">
            <ErrorNote error={error} onRetry={() => loadGroups().then(() => setError(null), setError)} />
          </div>
        </div>
      ) : (
        <Main onMenu={openNav} />
      )}
      <ProfileCard />
      <QuickSwitch />
      <Toasts />
    </div>
  );
}

function Main({ onMenu }: { onMenu: () => void }) {
  const current = path.value;
  if (current.startsWith('/admin')) return <AdminConsole />;
  if (match('/directory')) return <Directory onMenu={onMenu} />;
  if (match('/account')) return <Account onMenu={onMenu} />;
  if (match('/search')) return <Search onMenu={onMenu} />;
  const page = match('/g/:id/p/:plugin/:page');
  if (page) {
    return (
      <div class="main">
        <PluginPage groupId={page.id} pluginId={page.plugin} page={page.page} />
      </div>
    );
  }
  const g =
    match('/g/:id') ?? match('/g/:id/t/:thread') ?? match('/g/:id/feed') ?? match('/g/:id/feed/t/:thread');
  if (g) {
    if (!groupsLoaded.value) return <Spinner />;
    const group = groupById(g.id);
    if (!group) {
      return (
        <div class="main">
          <div class="page">
            <Empty title={t('notFound')} />
          </div>
        </div>
      );
    }
    return <GroupView group={group} threadId={g.thread} feed={current.includes('/feed')} onMenu={onMenu} />;
  }
  return <Home onMenu={onMenu} />;
}

function Home({ onMenu }: { onMenu: () => void }) {
  const mine = groups.value.filter((g) => g.my_role !== null && !g.archived);
  useEffect(() => {
    if (!groupsLoaded.value) return;
    const first = mine.find((g) => g.unread_count > 0) ?? mine[0];
    if (first) navigate(`/g/${first.id}`, true);
  }, [groupsLoaded.value, mine.length]);
  if (!groupsLoaded.value) return <Spinner />;
  return (
    <div class="main">
      <section class="pane">
        <header class="pane-head">
          <MenuButton onClick={onMenu} />
        </header>
        <Empty title={t('welcome')} hint={t('welcomeHint')}>
          <p>
            <button type="button" class="btn btn-primary" onClick={() => navigate('/directory')}>
              {t('openDirectory')}
            </button>
          </p>
        </Empty>
      </section>
    </div>
  );
}
