/*
 * kerasguide 사이트의 작은 보조 스크립트(conf.py의 html_js_files).
 *
 * 1. sphinx-copybutton에는 한국어 문구가 없다: 번역 카탈로그(docs/locale/ko/LC_MESSAGES/sphinx.po,
 *    translations.js)의 문구를 쓰게 한다. copybutton.js 다음, 복사 버튼을 만들기(DOMContentLoaded)
 *    전에 실행된다.
 * 2. 상자 문자로 그린 표(model.summary())가 든 출력은 줄을 바꾸지 않고 가로로 스크롤한다
 *    (나머지 출력은 CSS가 긴 줄을 상자 안에서 바꾼다).
 * 3. 가로로 스크롤되는 상자(코드, 출력, 표)는 키보드로도 스크롤할 수 있게 tabindex="0"을 준다.
 *    상자가 스크롤되는지는 화면 너비에 따라 달라지므로 크기가 바뀔 때마다 다시 본다.
 */
(() => {
  "use strict";

  // -- 1. 복사 버튼 문구 ---------------------------------------------------------------------
  /* global messages, locale, iconCopy, iconCheck, Documentation */
  try {
    if (typeof messages !== "undefined" && typeof Documentation !== "undefined") {
      const lang = document.documentElement.lang || "ko";
      const _ = (text) => Documentation.gettext(text);
      const english = messages.en;
      messages[lang] = {
        copy: _("Copy"),
        copy_to_clipboard: _("Copy to clipboard"),
        copy_success: _("Copied!"),
        copy_failure: _("Failed to copy"),
      };
      locale = lang; // eslint-disable-line no-global-assign
      iconCopy = iconCopy.replace(english.copy_to_clipboard, messages[lang].copy_to_clipboard);
      iconCheck = iconCheck.replace(english.copy_success, messages[lang].copy_success);
    }
  } catch (error) {
    // copybutton.js의 전역 이름이 바뀌었으면 영어 문구가 남는다: 테스트가 잡는다.
    console.warn("kerasguide.js: 복사 버튼 문구를 바꾸지 못했다", error);
  }

  // -- 2, 3. 출력 상자 --------------------------------------------------------------------------
  const BOX_DRAWING = /[\u2500-\u257f]/;
  const SCROLLERS =
    "article pre, article .table-wrapper, article .output.text_html, article .math-wrapper";

  const markPreformatted = () => {
    document.querySelectorAll(".cell_output pre").forEach((pre) => {
      if (BOX_DRAWING.test(pre.textContent)) pre.classList.add("kg-preformatted");
    });
  };

  const updateFocusable = () => {
    document.querySelectorAll(SCROLLERS).forEach((box) => {
      const scrolls =
        box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.dataset.kgFocusable = "";
      } else if (!scrolls && "kgFocusable" in box.dataset) {
        box.removeAttribute("tabindex");
        delete box.dataset.kgFocusable;
      }
    });
  };

  const start = () => {
    markPreformatted();
    updateFocusable();
    let pending = 0;
    window.addEventListener("resize", () => {
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(updateFocusable);
    });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
