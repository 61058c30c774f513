// The pages the plugins enabled in a group offer ("My approvals", "Shipments", …).

import { useEffect, useState } from 'preact/hooks';
import { strings } from '../i18n';
import { navigate } from '../router';
import { listPages, type PageLink } from '../plugins/PluginPage';

const t = strings({
  apps: ['Apps', '应用'],
});

export function PluginMenu({ groupId }: { groupId: string }) {
  const [pages, setPages] = useState<PageLink[]>([]);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    setPages([]);
    listPages(groupId).then(setPages, () => setPages([]));
  }, [groupId]);
  if (!pages.length) return null;
  return (
    <div style={{ position: 'relative' }}>
      <button type="button" class="btn btn-ghost btn-small" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="apps-button">
        ▦ {t('apps')}
      </button>
      {open && (
        <div class="popup-list" role="menu" style={{ left: 'auto', right: 0, bottom: 'auto', top: '34px', minWidth: '220px' }} onMouseLeave={() => setOpen(false)}>
          {pages.map((p) => (
            <div
              key={`${p.pluginId}/${p.page}`}
              role="menuitem"
              tabIndex={0}
              class="popup-item"
              onClick={() => (setOpen(false), navigate(`/g/${groupId}/p/${p.pluginId}/${p.page}`))}
              onKeyDown={(e) => e.key === 'Enter' && (setOpen(false), navigate(`/g/${groupId}/p/${p.pluginId}/${p.page}`))}
            >
              <span>{p.title}</span>
              <span class="spacer" />
              <span class="sub">{p.pluginName}</span>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
