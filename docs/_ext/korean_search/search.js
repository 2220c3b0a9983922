/*
 * 한국어 검색어 처리 (korean_search 확장이 language_data.js에 넣는다).
 *
 * - Stemmer: searchtools.js가 검색어 단어마다 stemWord()를 부른다. 조사와 어미를 떼되, 뗀 결과가
 *   색인된 대표 단어(명사, 어간, 합성어)일 때만 뗀다. 표기 변형은 색인과 같은 표로 바꾸고, 영어
 *   단어는 Sphinx의 영어 검색과 같은 Snowball 어간 추출기로 줄인다.
 * - 검색어의 표기 변형(옵티마이져)은 검색하기 전에 대표 표기(옵티마이저)로 바꾼다.
 * - splitQuery: 띄어 쓴 명사(경사 하강법)는 붙인 꼴로 찾는 편이 더 많이 찾으면 한 단어로 잇는다.
 * - KoreanSearch.textScore: 본문 일치 결과의 점수. 순위는 scorer.js(Sphinx의 html_search_scorer)가
 *   이 함수로 매긴다.
 * - 용어집 용어에 맞은 결과의 요약에는 용어의 뜻풀이를 보인다.
 *
 * 대표 단어와 빈도는 빌드가 끝날 때 쓰는 _static/korean_search_data.js(검색 페이지에서만 읽는다)에
 * 있다. 그 파일이 없으면 검색 색인 자체를 대표 단어 목록으로 쓴다.
 */

/*@ENGLISH_STEMMER@*/

const KoreanSearch = (() => {
  const variants = "@VARIANTS@";
  const endings = "@ENDINGS@"; // 긴 것부터
  const hangul = /[\uac00-\ud7a3]/;
  const asciiWord = /^[a-z0-9_]+$/;
  const digits = /^\d+$/;
  const english = new EnglishStemmer();
  const dataFile = "@DATA_FILENAME@";
  const BM25_WEIGHT = 3;
  const TITLE_WEIGHT = 3;

  let cached = null;
  const data = () => {
    if (cached !== null) return cached;
    const raw = window.KOREAN_SEARCH_DATA;
    if (!raw) return null;
    const position = new Map(raw.docs.map((doc, i) => [doc, i]));
    const averageLength = raw.lengths.reduce((a, b) => a + b, 0) / raw.lengths.length || 1;
    cached = {
      docs: raw.docs,
      position,
      lengths: raw.lengths,
      averageLength,
      bases: new Set(raw.bases),
      tf: raw.tf,
    };
    return cached;
  };

  const has = (object, key) =>
    object !== undefined && Object.prototype.hasOwnProperty.call(object, key);

  /** 색인과 같은 정규화: 소문자, 표기 변형, 영어 어간. */
  const normalize = (word) => {
    const lowered = word.toLowerCase();
    if (has(variants, lowered)) return variants[lowered];
    if (asciiWord.test(lowered) && !digits.test(lowered)) {
      const stemmed = english.stemWord(lowered);
      return has(variants, stemmed) ? variants[stemmed] : stemmed;
    }
    return lowered;
  };

  /** 색인된 대표 단어인가(보조 데이터가 없으면 검색 색인의 단어인가). */
  const isBase = (term) => {
    const d = data();
    if (d !== null) return d.bases.has(term);
    const index = typeof Search !== "undefined" ? Search._index : null;
    return index !== null && (has(index.terms, term) || has(index.titleterms, term));
  };

  // 한글 음절의 받침: (음절 - 0xac00) % 28. ㄴ=4, ㄹ=8, ㅂ=17.
  const SYLLABLE = 0xac00;
  const finalOf = (ch) => (ch.charCodeAt(0) - SYLLABLE) % 28;
  const withFinal = (ch, final) =>
    String.fromCharCode(ch.charCodeAt(0) - finalOf(ch) + final);
  const isSyllable = (ch) => ch >= "\uac00" && ch <= "\ud7a3";

  /**
   * 어미가 받침으로 붙은 활용형의 어간 후보: 구한(다) → 구하, 만든 → 만드 → 만들(ㄹ 탈락),
   * 만듭(니다) → 만들.
   */
  const stemVariants = (word) => {
    const last = word.slice(-1);
    if (!isSyllable(last)) return [];
    const head = word.slice(0, -1);
    const final = finalOf(last);
    const found = [];
    if (final === 4 || final === 8 || final === 17) {
      const open = head + withFinal(last, 0);
      found.push(open, head + withFinal(last, 8));
    } else if (final === 0) {
      found.push(head + withFinal(last, 8));
    }
    return found;
  };

  /** 조사·어미를 최대 세 번 떼어 본 후보들(덜 뗀 것부터). */
  const candidates = (word) => {
    const seen = new Set([word]);
    const found = [word];
    const add = (candidate, next) => {
      if (candidate && !seen.has(candidate)) {
        seen.add(candidate);
        found.push(candidate);
        next.push(candidate);
      }
    };
    let frontier = [word];
    for (let pass = 0; pass < 3 && frontier.length; pass++) {
      const next = [];
      for (const current of frontier) {
        for (const ending of endings) {
          if (current.length > ending.length && current.endsWith(ending))
            add(current.slice(0, -ending.length), next);
        }
      }
      frontier = next;
    }
    // 받침으로 붙은 어미와 ㄹ 탈락: 뗀 결과 각각에 대해 한 번 더.
    for (const candidate of [...found]) {
      for (const variant of stemVariants(candidate)) add(variant, []);
    }
    // 안정 정렬: 길이가 긴(덜 뗀) 후보가 먼저.
    return found
      .map((c, i) => [c, i])
      .sort((a, b) => b[0].length - a[0].length || a[1] - b[1])
      .map(([c]) => c);
  };

  /** 검색어 단어 하나를 색인의 단어로 바꾼다. */
  const stem = (word) => {
    const lowered = word.toLowerCase();
    if (!hangul.test(lowered)) return normalize(lowered);
    const options = candidates(lowered);
    for (const option of options) {
      const term = normalize(option);
      if (isBase(term)) return term;
    }
    // 대표 단어가 없다: 어절 그대로 색인돼 있으면 그것을, 아니면 긴 조사 하나를 뗀 것을 쓴다.
    const index = typeof Search !== "undefined" ? Search._index : null;
    if (index !== null && (has(index.terms, lowered) || has(index.titleterms, lowered)))
      return lowered;
    for (const ending of endings) {
      if (lowered.length - ending.length >= 2 && lowered.endsWith(ending))
        return normalize(lowered.slice(0, -ending.length));
    }
    return normalize(lowered);
  };

  /** 대표 단어가 나오는 문서들(보조 데이터의 단어 빈도표에서). */
  const docsOf = (term) => {
    const d = data();
    return new Set(d !== null && has(d.tf, term) ? d.tf[term].map(([doc]) => doc) : []);
  };

  /**
   * 띄어 쓴 검색어 단어들을 붙일지 정한다. 이웃한 한글 단어 둘이나 셋을 붙인 꼴(경사 하강법 →
   * 경사하강법)이 대표 단어이고, 그 단어가 나오는 문서가 따로 쓴 단어들이 모두 나오는 문서보다
   * 적지 않으면 붙인다. "텐서플로우 플랫폼"처럼 따로 찾는 편이 더 많이 찾는 말은 그대로 둔다.
   */
  const joinCompounds = (words) => {
    if (data() === null) return words;
    const joined = [];
    let i = 0;
    while (i < words.length) {
      let taken = 1;
      for (let n = Math.min(3, words.length - i); n >= 2; n--) {
        const parts = words.slice(i, i + n);
        if (!parts.every((w) => hangul.test(w))) continue;
        const term = stem(parts.join(""));
        if (!isBase(term)) continue;
        const together = docsOf(term);
        let apart = null;
        for (const part of parts) {
          const docs = docsOf(stem(part));
          apart = apart === null ? docs : new Set([...apart].filter((doc) => docs.has(doc)));
        }
        if (together.size >= apart.size) {
          joined.push(parts.join(""));
          taken = n;
          break;
        }
      }
      if (taken === 1) joined.push(words[i]);
      i += taken;
    }
    return joined;
  };

  const idfOf = (df, n) => Math.log(1 + (n - df + 0.5) / (df + 0.5));

  /**
   * 본문 일치 결과의 점수. Sphinx는 검색어 단어 가운데 하나라도 제목에 있으면 15, 아니면 5를
   * 주고 같은 점수는 제목 가나다순으로 늘어놓는다. 여기서는 단어마다
   *
   * - BM25(k1 = 1.2, b = 0.75): 문서 안에서 자주 나올수록(포화되게), 드문 단어일수록 높고, 긴
   *   문서(용어집 같은)는 깎는다.
   * - 제목(절 제목 포함)에 있으면 그 단어의 드문 정도(IDF)만큼 더한다.
   *
   * 를 더한다. 보조 데이터가 없으면 Sphinx 점수를 그대로 쓴다.
   */
  const textScore = (docname, terms, sphinxScore) => {
    const d = data();
    if (d === null || !d.position.has(docname)) return sphinxScore;
    const doc = d.position.get(docname);
    const n = d.docs.length;
    const length = d.lengths[doc] / d.averageLength;
    const index = typeof Search !== "undefined" ? Search._index : null;
    const file = index !== null ? index.docnames.indexOf(docname) : -1;
    let total = 5;
    for (const term of new Set(terms)) {
      const postings = has(d.tf, term) ? d.tf[term] : null;
      if (postings === null) continue;
      const idf = idfOf(postings.length, n);
      const hit = postings.find(([i]) => i === doc);
      if (hit !== undefined) {
        const tf = hit[1];
        total += (BM25_WEIGHT * idf * tf * (1.2 + 1)) / (tf + 1.2 * (1 - 0.75 + 0.75 * length));
      }
      const titled = index !== null && has(index.titleterms, term) ? index.titleterms[term] : [];
      if ((Array.isArray(titled) ? titled : [titled]).includes(file)) total += TITLE_WEIGHT * idf;
    }
    return Math.round(total * 100) / 100;
  };

  /**
   * 검색어의 표기 변형을 대표 표기로: "옵티마이져를" → "옵티마이저를". Sphinx는 색인 항목(용어집
   * 용어)을 검색어 원문과 견주므로, 원문부터 바꿔야 변형으로도 용어집 항목이 나온다.
   */
  const canonicalQuery = (query) =>
    query.replace(/[\uac00-\ud7a3]+/g, (word) => {
      for (const option of candidates(word)) {
        if (has(variants, option) && hangul.test(variants[option]))
          return variants[option] + word.slice(option.length);
      }
      return word;
    });

  return {
    normalize,
    candidates,
    stem,
    canonicalQuery,
    joinCompounds,
    textScore,
    dataFile,
    lastTerms: [],
  };
})();

/* searchtools.js의 기본 분리기(글자·숫자·밑줄이 아닌 곳에서 나눈다)에 붙여 쓰기 판단을 더한다. */
var splitQuery = (query) =>
  KoreanSearch.joinCompounds(
    query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu).filter((term) => term),
  );

/* searchtools.js는 검색할 때마다 new Stemmer()를 만들고 단어마다 stemWord()를 부른다. */
var Stemmer = function () {
  KoreanSearch.lastTerms = [];
  this.stemWord = (word) => {
    const term = KoreanSearch.stem(word);
    KoreanSearch.lastTerms.push(term);
    return term;
  };
};

/* Sphinx의 한국어 번역에는 검색을 마쳤을 때의 문장이 빈 문자열이다: 결과 수를 알려 주게 채운다. */
(() => {
  if (typeof Documentation === "undefined" || !Documentation.TRANSLATIONS) return;
  const key = "Search finished, found one page matching the search query.";
  const current = Documentation.TRANSLATIONS[key];
  const text = Array.isArray(current) ? current[0] : current;
  if (!text)
    Documentation.TRANSLATIONS[key] = [
      "검색을 마쳤다. 검색어와 일치하는 페이지 ${resultCount}개를 찾았다.",
    ];
})();

/*
 * 결과 아래의 요약문: 색인하지 않는 부분(no-search, 예: 노트북 링크 상자)은 빼고, 용어집 용어에
 * 맞은 결과(앵커가 용어집의 dt)에는 용어와 그 뜻풀이(dd)를 보인다.
 */
(() => {
  const install = () => {
    if (typeof Search === "undefined" || Search.koreanSummary) return false;
    Search.koreanSummary = true;
    const htmlToText = Search.htmlToText;
    const parseQuery = Search._parseQuery;
    Search._parseQuery = (query) => parseQuery(KoreanSearch.canonicalQuery(query));
    // 용어집 용어(색인 항목)로 나온 페이지는 본문 일치로 한 번 더 나오지 않는다.
    const performSearch = Search._performSearch;
    Search._performSearch = (...args) => {
      const results = performSearch(...args);
      const indexed = new Set(results.filter((r) => r[6] === "index").map((r) => r[0]));
      return results.filter((r) => !(r[6] === "text" && indexed.has(r[0])));
    };
    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(".no-search, .headerlink").forEach((el) => el.remove());
      const target = anchor ? doc.getElementById(decodeURIComponent(anchor.slice(1))) : null;
      if (target !== null && target.tagName === "DT" && target.closest("dl.glossary")) {
        // 한 항목의 여러 표기(dt 여러 개) 다음에 뜻풀이(dd)가 온다.
        let first = target;
        while (first.previousElementSibling && first.previousElementSibling.tagName === "DT")
          first = first.previousElementSibling;
        const terms = [];
        let next = first;
        while (next !== null && next.tagName === "DT") {
          terms.push(next.textContent.trim());
          next = next.nextElementSibling;
        }
        const definition = next !== null ? next.textContent.replace(/\s+/g, " ").trim() : "";
        return `${terms.join(", ")}: ${definition}`;
      }
      return htmlToText(doc.documentElement.outerHTML, anchor);
    };
    return true;
  };
  if (!install()) document.addEventListener("DOMContentLoaded", install);
})();
