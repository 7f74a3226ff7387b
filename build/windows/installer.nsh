; Included by electron-builder's NSIS installer (nsis.include). Capture on Windows needs
; Npcap installed in "WinPcap API-compatible mode"; the installer only checks and explains,
; it never installs a driver itself.
!macro customInstall
  ClearErrors
  ReadRegStr $0 HKLM "SOFTWARE\Npcap" ""
  IfErrors 0 npcapFound
    MessageBox MB_OK|MB_ICONINFORMATION "Live capture needs Npcap (https://npcap.com) installed with $\"Install Npcap in WinPcap API-compatible Mode$\" ticked. Opening and crafting capture files works without it."
  npcapFound:
!macroend
