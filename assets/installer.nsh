; Included by electron-builder's NSIS installer (electron-builder.yml nsis.include). NSIS does not
; register `protocols` itself, so the installer registers clawbridge:// for the current user (the
; install is per-user), and the uninstaller removes it. The app registers itself again at every
; start (shell.ts, app.setAsDefaultProtocolClient), which this only makes work before the first start.
!macro customInstall
  WriteRegStr HKCU "Software\Classes\clawbridge" "" "URL:Clawbridge"
  WriteRegStr HKCU "Software\Classes\clawbridge" "URL Protocol" ""
  WriteRegStr HKCU "Software\Classes\clawbridge\DefaultIcon" "" "$INSTDIR\${APP_EXECUTABLE_FILENAME},0"
  WriteRegStr HKCU "Software\Classes\clawbridge\shell\open\command" "" '"$INSTDIR\${APP_EXECUTABLE_FILENAME}" "%1"'
!macroend

!macro customUnInstall
  DeleteRegKey HKCU "Software\Classes\clawbridge"
!macroend
