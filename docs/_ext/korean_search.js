/*
 * 한국어 검색어 처리 (korean_search.py가 language_data.js에 넣는다).
 *
 * - Stemmer: searchtools.js가 검색어 단어마다 stemWord()를 부른다. 조사와 어미를 떼되, 뗀 결과가
 *   색인된 대표 단어(명사, 어간, 합성어)일 때만 뗀다. 표기 변형은 색인과 같은 표로 바꾸고, 영어
 *   단어는 Sphinx의 영어 검색과 같은 Snowball 어간 추출기로 줄인다.
 * - Scorer.score: 본문 일치 결과의 순위를 BM25(단어 빈도, 드문 정도, 문서 길이)와 제목 일치로 매긴다.
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

  return { normalize, candidates, stem, textScore, dataFile, lastTerms: [] };
})();

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

/* 결과 아래의 요약문에서도 색인하지 않는 부분(no-search, 예: 노트북 링크 상자)은 뺀다. */
(() => {
  const install = () => {
    if (typeof Search === "undefined" || Search.koreanSummary) return false;
    Search.koreanSummary = true;
    const htmlToText = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(".no-search").forEach((el) => el.remove());
      return htmlToText(doc.documentElement.outerHTML, anchor);
    };
    return true;
  };
  if (!install()) document.addEventListener("DOMContentLoaded", install);
})();

/* 본문 일치 결과의 순위: KoreanSearch.textScore (BM25 + 제목 일치). */
(() => {
  const install = () => {
    if (typeof Scorer === "undefined" || Scorer.koreanSearch) return false;
    Scorer.koreanSearch = true;
    Scorer.score = (result) => {
      const [docname, , , , score, , kind] = result;
      if (kind !== "text") return score;
      return KoreanSearch.textScore(docname, KoreanSearch.lastTerms, score);
    };
    return true;
  };
  if (!install()) document.addEventListener("DOMContentLoaded", install);
})();
